import { strict as assert } from 'node:assert';
import { Emitter } from '../../../../src/shared/emitter';
import type { Backend } from '../../../../src/host/backends/backend';
import type { InitializeParams } from '../../../../src/host/backends/jsonRpc';
import { PerSessionEndpoint } from '../../../../src/host/mux/perSessionEndpoint';
import { FakeBackend, FakeSession, FakeTimers, memoryLog, settle } from '../../../helpers/fakeBackend';
import { Deferred } from '../../../helpers/fakeOpener';

describe('PerSessionEndpoint (fake backends)', () => {
  let opens: Array<{ init: InitializeParams; signal: AbortSignal; opened: Deferred<Backend> }>;
  let closed: Backend[];
  let restart: Emitter<string>;
  let endpoint: PerSessionEndpoint;

  beforeEach(() => {
    opens = [];
    closed = [];
    restart = new Emitter<string>();
    endpoint = new PerSessionEndpoint({
      name: 'own',
      tools: () => ({}),
      roots: () => [],
      log: memoryLog(),
      timers: new FakeTimers(),
      idleTimeoutMs: () => undefined,
      openBackend: (init, signal) => {
        const opened = new Deferred<Backend>();
        opens.push({ init, signal, opened });
        return opened.promise;
      },
      closeBackend: async (b) => {
        closed.push(b);
        await b.close(0);
      },
      onDidRequireRestart: restart.event,
    });
  });
  afterEach(() => endpoint.dispose());

  /** Opens a session whose backend the test hands over at once. */
  async function openSession(name: string, backend = new FakeBackend()): Promise<{ session: FakeSession; backend: FakeBackend }> {
    const session = new FakeSession(name);
    const opening = endpoint.open(session);
    await settle();
    opens[opens.length - 1].opened.resolve(backend);
    await opening;
    return { session, backend };
  }

  it('a session still opening when the endpoint is disposed: its start is aborted and it is told the server is gone (regression)', async () => {
    const session = new FakeSession('late');
    const opening = endpoint.open(session);
    await settle();
    endpoint.dispose();
    assert.equal(opens[0].signal.aborted, true, 'the start is told to stop');
    // A start that finished anyway is closed, not kept.
    const late = new FakeBackend();
    opens[0].opened.resolve(late);
    await assert.rejects(opening, (err: Error & { code?: string }) => err.code === 'SERVER_UNAVAILABLE' && /server "own" was removed or reconfigured/.test(err.message));
    await settle();
    assert.deepEqual(closed, [late]);
    assert.equal(endpoint.stats(session), undefined, 'not open');
  });

  it('a restart (config or secret change): each session lets go of its backend, keeps its session, and its next request opens a new one', async () => {
    const a = await openSession('a');
    const b = await openSession('b');
    restart.fire('config changed');
    assert.deepEqual(closed, [a.backend, b.backend]);
    assert.ok(endpoint.stats(a.session), 'the session is still open');
    endpoint.handle(a.session, { jsonrpc: '2.0', id: 7, method: 'tools/list' });
    await settle();
    assert.equal(opens.length, 3, 'a new backend for a');
    assert.equal(opens[2].init.clientInfo.name, 'a', "with the session's own initialize");
    const fresh = new FakeBackend();
    fresh.serve = (m) => m.method === 'tools/list' && fresh.answer(m, { tools: [] });
    opens[2].opened.resolve(fresh);
    await settle();
    await settle();
    assert.deepEqual(a.session.response(7)?.result, { tools: [] });
  });
});
