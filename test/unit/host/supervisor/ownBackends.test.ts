import { strict as assert } from 'node:assert';
import type { Backend } from '../../../../src/host/backends/backend';
import { OwnBackends } from '../../../../src/host/supervisor/ownBackends';
import { FakeBackend, memoryLog } from '../../../helpers/fakeBackend';
import { Deferred } from '../../../helpers/fakeOpener';

const INIT = { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'client', version: '1' } };

describe('OwnBackends (a per-session server\'s backends, fake opens)', () => {
  let opens: Array<{ signal: AbortSignal; opened: Deferred<Backend>; onNeedsAuth: () => void }>;
  let forgotten: number[];
  let own: OwnBackends;
  let reasons: string[];

  beforeEach(() => {
    opens = [];
    forgotten = [];
    reasons = [];
    own = new OwnBackends({
      name: 'srv',
      open: (_init, signal, onNeedsAuth) => {
        const opened = new Deferred<Backend>();
        opens.push({ signal, opened, onNeedsAuth });
        return opened.promise;
      },
      graceMs: () => 0,
      forget: (pid) => forgotten.push(pid),
      log: memoryLog(),
    });
    own.onDidRequireRestart((r) => reasons.push(r));
  });
  afterEach(() => own.dispose());

  /** Lets the open loop take its next step. */
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

  it('an open that a config change overtakes is made again: its caller gets a backend with the new values', async () => {
    const opening = own.open(INIT, new AbortController().signal);
    own.outdate('config changed');
    assert.deepEqual(reasons, ['config changed'], 'the sessions hear of it');
    assert.equal(opens[0].signal.aborted, true, 'the old start is told to stop');
    opens[0].opened.reject(new Error('stopped while starting'));
    await turn();
    assert.equal(opens.length, 2, 'started again');
    const fresh = new FakeBackend();
    opens[1].opened.resolve(fresh);
    assert.equal(await opening, fresh);
  });

  it('an open that finishes just as it is overtaken is closed, and made again', async () => {
    const opening = own.open(INIT, new AbortController().signal);
    const old = new FakeBackend();
    opens[0].opened.resolve(old);
    own.outdate('secret KEY changed');
    await turn();
    assert.equal(old.closed, true);
    const fresh = new FakeBackend();
    opens[1].opened.resolve(fresh);
    assert.equal(await opening, fresh);
  });

  it("an open its session gave up on (the signal) is not made again, and what came is closed", async () => {
    const abort = new AbortController();
    const opening = own.open(INIT, abort.signal);
    const late = new FakeBackend();
    abort.abort();
    opens[0].opened.resolve(late);
    await assert.rejects(opening, /stopped while starting/);
    assert.equal(late.closed, true);
    assert.equal(opens.length, 1);
  });

  it('a refusal after initialize closes that backend; its exit lets go of it', async () => {
    const b = new FakeBackend();
    const opening = own.open(INIT, new AbortController().signal);
    opens[0].opened.resolve(b);
    await opening;
    opens[0].onNeedsAuth();
    assert.equal(b.closed, true);
  });

  it('dispose waits for every open under way and refuses new ones', async () => {
    const opening = own.open(INIT, new AbortController().signal);
    let disposed = false;
    const disposing = own.dispose().then(() => (disposed = true));
    await turn();
    assert.equal(disposed, false, 'an open is still under way');
    const b = new FakeBackend();
    opens[0].opened.resolve(b);
    await assert.rejects(opening, /stopped while starting/);
    await disposing;
    assert.equal(b.closed, true, 'what came after dispose was closed');
    await assert.rejects(own.open(INIT, new AbortController().signal), /server "srv" was removed or reconfigured/);
  });
});
