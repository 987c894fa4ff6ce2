import { strict as assert } from 'node:assert';
import { RequestTable } from '../../../../src/host/mux/requestTable';
import { SessionStatsTable } from '../../../../src/host/mux/sessionStats';
import { FakeSession, FakeTimers } from '../../../helpers/fakeBackend';

describe('RequestTable', () => {
  it('counts a request from add to take, once, whichever way it ends', () => {
    const stats = new SessionStatsTable();
    const table = new RequestTable(stats, new FakeTimers());
    const s = new FakeSession('a');
    stats.open(s);
    const f = table.add(s, 0, 'tools/call');
    assert.equal(stats.get(s)?.inFlight, 1);
    assert.equal(table.take(f.bid, true), f);
    assert.equal(table.take(f.bid, true), undefined, 'a second take is a no-op');
    assert.deepEqual(stats.get(s), { inFlight: 0, callsServed: 1 });
  });

  it('keeps a client’s reused id apart: both are found on close, the newest by its id', () => {
    const stats = new SessionStatsTable();
    const table = new RequestTable(stats, new FakeTimers());
    const s = new FakeSession('a');
    stats.open(s);
    const first = table.add(s, 1, 'tools/call');
    const second = table.add(s, 1, 'tools/call');
    assert.notEqual(first.bid, second.bid);
    assert.equal(table.find(s, 1), second);
    table.take(second.bid);
    assert.deepEqual(table.ofSession(s), [first]);
    table.take(first.bid);
    assert.deepEqual(table.ofSession(s), []);
    assert.equal(stats.get(s)?.inFlight, 0);
  });

  it('fires a sent request’s deadline once; progress starts it again; taking it calls it off', () => {
    const timers = new FakeTimers();
    const table = new RequestTable(new SessionStatsTable(), timers);
    const s = new FakeSession('a');
    const expired: number[] = [];
    const f = table.add(s, 1, 'tools/call');
    table.markSent(f.bid, 100, (x) => void expired.push(x.bid));
    timers.advance(60);
    table.refresh(f.bid);
    timers.advance(60);
    assert.deepEqual([...expired], []);
    timers.advance(40);
    assert.deepEqual([...expired], [f.bid]);
    const g = table.add(s, 2, 'tools/call');
    table.markSent(g.bid, 100, (x) => void expired.push(x.bid));
    table.take(g.bid);
    timers.advance(1000);
    assert.deepEqual([...expired], [f.bid]);
    assert.equal(timers.size, 0);
  });
});
