import { strict as assert } from 'node:assert';
import type { JsonRpcMessage } from '../../../../src/host/backends/jsonRpc';
import { AggregateEndpoint } from '../../../../src/host/mux/aggregateEndpoint';
import { LIST_PART_WAIT_MS } from '../../../../src/host/mux/aggregateLists';
import { Multiplexer } from '../../../../src/host/mux/multiplexer';
import { FakeBackend, FakeSession, FakeSource, FakeTimers, memoryLog, settle } from '../../../helpers/fakeBackend';

/** A server behind the aggregate: a mux over a fake backend that answers tools/list with one page of these tools. */
function server(name: string, timers: FakeTimers, tools: string[], silent: () => boolean = () => false): { name: string; state: string; endpoint: Multiplexer; backend: FakeBackend } {
  const backend = new FakeBackend({ tools: {} });
  backend.serve = (m: JsonRpcMessage) => {
    if (m.method === 'tools/list' && (typeof m.id === 'string' && m.id.startsWith('shared-mcp-') ? false : silent())) return;
    if (m.method === 'tools/list') return backend.answer(m, { tools: tools.map((t) => ({ name: t })) });
    if (m.method === 'tools/call') return backend.answer(m, { content: [{ type: 'text', text: `${name}:${String(m.params?.name)}` }] });
  };
  const endpoint = new Multiplexer(new FakeSource(backend), { name, tools: () => ({}), roots: () => [], log: memoryLog(), passthroughInit: false, timers });
  return { name, state: 'running', endpoint, backend };
}

async function until(what: string, probe: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !probe(); i++) await settle();
  assert.ok(probe(), `timed out waiting for ${what}`);
}

describe('AggregateEndpoint (in memory)', () => {
  it('skips a silent server’s part of a list after a bounded wait, cancels it there, and still answers (regression: the page never settled)', async () => {
    const timers = new FakeTimers();
    let quiet = false;
    const servers = [server('good', timers, ['a']), server('mute', timers, ['b'], () => quiet)];
    const lines: string[] = [];
    const agg = new AggregateEndpoint(() => servers, { timers, log: (m) => void lines.push(m) });
    const s = new FakeSession('agg');
    await agg.open(s);
    agg.handle(s, { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    await until('page 1', () => s.response(1) !== undefined);
    const page1 = s.response(1)?.result as { tools: Array<{ name: string }>; nextCursor?: string };
    assert.deepEqual(page1.tools.map((t) => t.name), ['good__a']);
    quiet = true;
    agg.handle(s, { jsonrpc: '2.0', id: 2, method: 'tools/list', params: { cursor: page1.nextCursor } });
    await until('the request at the silent server', () => servers[1].backend.requests('tools/list').some((m) => typeof m.id === 'number'));
    assert.equal(agg.stats(s)?.inFlight, 1);
    timers.advance(LIST_PART_WAIT_MS);
    await until('page 2', () => s.response(2) !== undefined);
    assert.deepEqual(s.response(2)?.result, { tools: [] }, 'an empty last page: the walk ends');
    const stuck = servers[1].backend.requests('tools/list').find((m) => typeof m.id === 'number');
    assert.deepEqual(servers[1].backend.cancelled(), [stuck?.id], 'cancelled under the id the server saw');
    assert.equal(agg.stats(s)?.inFlight, 0);
    assert.equal(servers[1].endpoint.stats([...servers[1].endpoint.sessions][0])?.inFlight, 0, 'and nothing is left at the server’s mux');
    assert.ok(lines.some((l) => /mute: tools\/list got no answer within 5s: skipped/.test(l)), lines.join('\n'));
  });

  it('cancels the child request when the client cancels, and answers nothing', async () => {
    const timers = new FakeTimers();
    const servers = [server('one', timers, ['slow'])];
    servers[0].backend.serve = (m) => (m.method === 'tools/list' ? servers[0].backend.answer(m, { tools: [{ name: 'slow' }] }) : undefined);
    const agg = new AggregateEndpoint(() => servers, { timers });
    const s = new FakeSession('agg');
    await agg.open(s);
    agg.handle(s, { jsonrpc: '2.0', id: 'c', method: 'tools/call', params: { name: 'one__slow' } });
    await until('the call at the server', () => servers[0].backend.requests('tools/call').length === 1);
    agg.handle(s, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'c' } });
    await settle();
    assert.deepEqual(servers[0].backend.cancelled(), [servers[0].backend.requests('tools/call')[0].id]);
    assert.deepEqual(s.cancelledIds, ['c']);
    assert.equal(s.response('c'), undefined);
    assert.equal(agg.stats(s)?.inFlight, 0);
  });

  it('cancels what a session had in flight at its servers when it ends', async () => {
    const timers = new FakeTimers();
    const servers = [server('one', timers, ['slow'])];
    servers[0].backend.serve = (m) => (m.method === 'tools/list' ? servers[0].backend.answer(m, { tools: [{ name: 'slow' }] }) : undefined);
    const agg = new AggregateEndpoint(() => servers, { timers });
    const s = new FakeSession('agg');
    await agg.open(s);
    agg.handle(s, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'one__slow' } });
    await until('the call at the server', () => servers[0].backend.requests('tools/call').length === 1);
    agg.close(s);
    await settle();
    assert.deepEqual(servers[0].backend.cancelled(), [servers[0].backend.requests('tools/call')[0].id]);
    assert.equal(servers[0].endpoint.sessions.size, 0, 'the child session is closed');
  });

  it('routes a call to the server that listed the name, with the server’s own deadline', async () => {
    const timers = new FakeTimers();
    const servers = [server('a', timers, ['x']), server('b', timers, ['x'])];
    const agg = new AggregateEndpoint(() => servers, { timers });
    const s = new FakeSession('agg');
    await agg.open(s);
    agg.handle(s, { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'b__x' } });
    await until('the answer', () => s.response(1) !== undefined);
    assert.match(JSON.stringify(s.response(1)?.result), /b:x/);
    servers[1].backend.serve = () => undefined;
    agg.handle(s, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'b__x' } });
    await until('the call at b', () => servers[1].backend.requests('tools/call').length === 2);
    timers.advance(10 * 60_000);
    await until('the timeout', () => s.response(2) !== undefined);
    assert.match(String(s.response(2)?.error?.message), /"b" did not answer tools\/call within 10m/);
    assert.equal(agg.stats(s)?.inFlight, 0);
  });
});
