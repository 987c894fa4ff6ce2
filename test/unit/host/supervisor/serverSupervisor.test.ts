import { strict as assert } from 'node:assert';
import type { ServerState } from '../../../../src/shared/controlTypes';
import { SharedMcpError } from '../../../../src/shared/errors';
import { ServerSupervisor, type SupervisorDeps } from '../../../../src/host/supervisor/serverSupervisor';
import { SupervisorSource } from '../../../../src/host/mux/supervisorSource';
import { Deferred, FakeOpener, definition, fakeDeps, memoryLog } from '../../../helpers/fakeOpener';
import { FakeClock } from '../../../helpers/fakeClock';

/** Resolves when the supervisor is in `state` (at once if it is). */
function reach(s: ServerSupervisor, state: ServerState): Promise<void> {
  if (s.state === state) return Promise.resolve();
  return new Promise((resolve) => {
    const sub = s.onDidChangeState((c) => {
      if (c.state !== state) return;
      sub.dispose();
      resolve();
    });
  });
}

describe('ServerSupervisor (fake backend, fake clock)', () => {
  let clock: FakeClock;
  let opener: FakeOpener;
  let supervisor: ServerSupervisor;
  let states: string[];

  function make(entry: Record<string, unknown> = {}, extra: Partial<SupervisorDeps> = {}): ServerSupervisor {
    supervisor = new ServerSupervisor(definition(entry), fakeDeps(opener, clock, extra));
    states = [];
    supervisor.onDidChangeState((c) => states.push(c.state));
    return supervisor;
  }

  /** Crashes the running backend and returns the restart delay the supervisor chose. */
  function crash(): number {
    opener.last.exit();
    assert.equal(supervisor.state, 'crashed');
    const delays = clock.delays();
    assert.equal(delays.length, 1, `one restart timer, got ${delays}`);
    return delays[0];
  }

  /** Lets the restart timer fire and waits until the new backend runs. */
  async function restartNow(): Promise<void> {
    const running = reach(supervisor, 'running');
    assert.ok(clock.runNext(), 'a restart timer was waiting');
    await running;
  }

  beforeEach(() => {
    clock = new FakeClock();
    opener = new FakeOpener();
  });
  afterEach(async () => {
    await supervisor?.dispose();
  });

  it('backs off exponentially from restartDelay and caps the delay at 30 s', async () => {
    make({ resourceLimits: { restartDelay: 1000, maxRestarts: 100 } });
    await supervisor.start();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      delays.push(crash());
      await restartNow();
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
    assert.equal(supervisor.restarts, 8);
  });

  it('starts the backoff again after a run of 60 s', async () => {
    make({ resourceLimits: { restartDelay: 500, maxRestarts: 100 } });
    await supervisor.start();
    assert.equal(crash(), 500);
    await restartNow();
    assert.equal(crash(), 1000);
    await restartNow();
    clock.advance(59_999);
    assert.equal(crash(), 2000, 'not yet stable');
    await restartNow();
    clock.advance(60_000);
    assert.equal(crash(), 500, 'a stable run resets the backoff');
  });

  it('gives up after more than maxRestarts crashes within 10 minutes: failed, no timer left', async () => {
    make({ resourceLimits: { restartDelay: 100, maxRestarts: 3 } });
    await supervisor.start();
    for (let i = 0; i < 3; i++) {
      crash();
      await restartNow();
    }
    opener.last.exit('exited with code 7');
    assert.equal(supervisor.state, 'failed');
    assert.match(supervisor.lastError ?? '', /^crash loop: 4 exits within 10 minutes; last: exited with code 7/);
    assert.equal(clock.pending, 0, 'nothing will restart it');
  });

  it('counts only the crashes of the last 10 minutes', async () => {
    make({ resourceLimits: { restartDelay: 100, maxRestarts: 2 } });
    await supervisor.start();
    for (let i = 0; i < 6; i++) {
      clock.advance(5 * 60_000 + 1);
      crash();
      await restartNow();
    }
    assert.equal(supervisor.state, 'running', 'two crashes at most in any 10 minutes');
    assert.equal(supervisor.restarts, 6);
  });

  it('a stop during a start closes the backend that arrives later and ends stopped', async () => {
    make();
    opener.auto = false;
    const starting = supervisor.start();
    await reach(supervisor, 'starting');
    const { backend, opened } = opener.waiting[0];
    const stopped = supervisor.stop();
    assert.equal(backend.options.signal.aborted, true, 'the start was told to stop');
    opened.resolve(backend); // a backend that finished starting anyway
    await Promise.all([starting, stopped]);
    assert.equal(supervisor.state, 'stopped');
    assert.equal(backend.closed, true);
    assert.equal(supervisor.activeBackend, undefined);
  });

  it('a restart opens the new backend only once the old one is closed', async () => {
    make();
    await supervisor.start();
    const old = opener.last;
    old.closing = new Deferred<void>();
    const restarted = supervisor.restart();
    await reach(supervisor, 'stopping');
    assert.deepEqual(opener.events, ['open 1', 'close 1']);
    old.closing.resolve();
    await restarted;
    assert.deepEqual(opener.events, ['open 1', 'close 1', 'closed 1', 'open 2']);
    assert.equal(supervisor.state, 'running');
  });

  it('a stop after a memory-limit stop wins: no restart is left waiting', async () => {
    make({ resourceLimits: { restartDelay: 100, maxMemory: '1M' } });
    await supervisor.start();
    opener.last.closing = new Deferred<void>();
    supervisor.observeTree([{ pid: 1, ppid: 0, pgid: 1, rssBytes: 10 * 1024 * 1024, startTime: '1', zombie: false }], new Map());
    assert.equal(supervisor.state, 'crashed');
    const stopped = supervisor.stop();
    opener.last.closing.resolve();
    await stopped;
    assert.equal(supervisor.state, 'stopped');
    assert.equal(clock.pending, 0);
  });

  describe('a changed definition (defect 2)', () => {
    it('applies tools, roots, idleTimeout, timeouts and limits in place: same backend, nothing closed', async () => {
      make({ roots: ['/a'] });
      await supervisor.start();
      const before = opener.last;
      await supervisor.update(definition({ roots: ['/b'], tools: { disabled: ['x'] }, idleTimeout: '5m', requestTimeout: '1m', startupTimeout: '9s', resourceLimits: { maxMemory: '1G', maxRestarts: 3, restartDelay: 50, maxMessageSize: '1M', maxQueueSize: '2M' } }));
      assert.equal(supervisor.activeBackend, before);
      assert.deepEqual(opener.events, ['open 1']);
      assert.equal(supervisor.state, 'running');
      assert.deepEqual(supervisor.def.tools, { disabled: ['x'] });
      assert.deepEqual(before.sent.map((m) => m.method), ['notifications/roots/list_changed'], 'the server hears that its roots changed');
      assert.equal(before.options.limits().maxQueuedBytes, 2 * 1024 * 1024, 'the backend reads the new limits');
    });

    it('re-arms the idle timer with the new idleTimeout', async () => {
      make({ idleTimeout: '10m' });
      await supervisor.start();
      supervisor.setSessionCount(0);
      assert.deepEqual(clock.delays(), [600_000]);
      await supervisor.update(definition({ idleTimeout: '2s' }));
      assert.deepEqual(clock.delays(), [2000]);
      const idle = reach(supervisor, 'idle');
      clock.advance(2000);
      await idle;
      assert.equal(opener.last.closed, true);
    });

    it('keeps the crash history when only restartDelay or maxRestarts change', async () => {
      make({ resourceLimits: { restartDelay: 100, maxRestarts: 5 } });
      await supervisor.start();
      crash();
      await restartNow();
      crash();
      await restartNow();
      await supervisor.update(definition({ resourceLimits: { restartDelay: 100, maxRestarts: 2 } }));
      opener.last.exit();
      assert.equal(supervisor.state, 'failed', 'the third crash is one too many under the new limit');
    });

    it('restarts for what reaches the process: args, env, cwd, command, and roots appearing', async () => {
      const changes: Array<Record<string, unknown>> = [{ args: ['x'] }, { env: { A: '1' } }, { cwd: '/tmp' }, { command: 'other-server' }, { roots: ['/r'] }];
      make();
      await supervisor.start();
      for (const [i, change] of changes.entries()) {
        await supervisor.update(definition(change));
        await reach(supervisor, 'running');
        assert.equal(opener.backends.length, i + 2, `${JSON.stringify(change)} restarts`);
        assert.equal(opener.backends[i].closed, true);
      }
    });

    it('an autoStart change moves a resting server: stopped becomes idle (lazy), idle starts (true)', async () => {
      make({ autoStart: false });
      assert.equal(supervisor.state, 'stopped');
      await supervisor.update(definition({ autoStart: 'lazy' }));
      assert.equal(supervisor.state, 'idle');
      const running = reach(supervisor, 'running');
      await supervisor.update(definition({ autoStart: true }));
      await running;
      assert.equal(opener.backends.length, 1);
    });
  });

  describe('a request waiting for the server while it restarts (regression: a false "stopped", or a hang after an idle stop)', () => {
    /** Starts the server, makes its stop slow, runs `restart`, and asks for the backend while the old one is stopping. */
    async function waitThrough(restart: () => Promise<void>, startedBy: Promise<void> = Promise.resolve()): Promise<void> {
      await supervisor.start();
      const old = opener.last;
      old.closing = new Deferred<void>();
      const stopping = reach(supervisor, 'stopping');
      const restarted = restart();
      await stopping;
      const waiting = new SupervisorSource(supervisor).ready();
      old.closing.resolve();
      const [got] = await Promise.all([waiting, restarted, startedBy]);
      assert.equal(got, opener.last, 'the request got the new backend');
      assert.notEqual(opener.last, old);
      assert.equal(supervisor.state, 'running');
      assert.ok(!states.includes('stopped'), `no stopped between: ${states.join(' → ')}`);
    }

    it('a manual restart', async () => {
      make();
      await waitThrough(() => supervisor.restart());
      assert.deepEqual(states, ['starting', 'running', 'stopping', 'starting', 'running']);
    });

    it('a config change that reaches the process', async () => {
      make();
      await waitThrough(() => supervisor.update(definition({ args: ['--new'] })), Promise.resolve());
      await reach(supervisor, 'running');
    });

    it('a changed secret', async () => {
      const values: Record<string, string> = { KEY: 'one' };
      make({ env: { KEY: '${secret:KEY}' } }, { secrets: (n) => values[n] });
      await waitThrough(() => {
        values.KEY = 'two';
        return supervisor.secretsChanged(['KEY']);
      });
    });

    it('an idle stop: the request starts the server again once it is idle', async () => {
      make({ idleTimeout: '2s', startupTimeout: '1s' });
      supervisor.setSessionCount(0);
      await waitThrough(async () => {
        supervisor.setSessionCount(0);
        clock.advance(2000);
      }, reach(supervisor, 'idle').then(() => reach(supervisor, 'running')));
      assert.deepEqual(states, ['starting', 'running', 'stopping', 'idle', 'starting', 'running']);
    });
  });

  it('needs-auth stays needs-auth: the idle timer of a server with no session is cleared (regression: it became idle)', async () => {
    make({ idleTimeout: '2s' });
    await supervisor.start();
    supervisor.setSessionCount(0);
    assert.equal(clock.pending, 1, 'the idle countdown runs');
    opener.last.options.onNeedsAuth('server "srv" needs sign-in: the server refused the credentials (HTTP 401)');
    assert.equal(clock.pending, 0, 'no timer left');
    clock.advance(60_000);
    assert.equal(supervisor.state, 'needs-auth');
  });

  it('disabling a running server stops it without trying to start it (regression: a spurious "restart … failed" line)', async () => {
    const log = memoryLog(clock);
    make({}, { log });
    await supervisor.start();
    await supervisor.update(definition({ disabled: true }));
    // A start would have failed by the next turn of the event loop (it throws before any await).
    await new Promise((resolve) => setImmediate(resolve));
    const lines = log.tail().map((l) => l.text);
    assert.ok(!lines.some((l) => /failed/.test(l)), lines.join('\n'));
    assert.equal(supervisor.state, 'disabled');
    assert.deepEqual(states, ['starting', 'running', 'stopping', 'disabled']);
  });

  it('needs-auth when a remote refuses its credentials after initialize: backend closed, no retry', async () => {
    make();
    await supervisor.start();
    opener.last.options.onNeedsAuth('server "srv" needs sign-in: the server asks for more scope: "a b" (HTTP 403, insufficient_scope)');
    assert.equal(supervisor.state, 'needs-auth');
    assert.match(supervisor.lastError ?? '', /scope: "a b"/);
    assert.equal(supervisor.activeBackend, undefined);
    await reach(supervisor, 'needs-auth');
    assert.equal(opener.last.closed, true);
    assert.equal(clock.pending, 0, 'it waits for the user, not for a timer');
    assert.equal(supervisor.restarts, 0);
  });

  it('fails at once, without a restart, for a server of a protocol era the host does not serve', async () => {
    make();
    opener.failWith = new SharedMcpError('PROTOCOL_ERA_UNSUPPORTED', 'this server speaks only protocol 2026-07-28; Shared MCP does not serve that era yet');
    await supervisor.start();
    assert.equal(supervisor.state, 'failed');
    assert.equal(supervisor.lastError, 'this server speaks only protocol 2026-07-28; Shared MCP does not serve that era yet');
    assert.equal(clock.pending, 0);
    assert.deepEqual(states, ['starting', 'failed']);
  });

  it('redacts lastError and state reasons', async () => {
    const reasons: Array<string | null> = [];
    make({ resourceLimits: { restartDelay: 100 } }, { redact: (t) => t.replaceAll('sk-very-secret', '[redacted]') });
    supervisor.onDidChangeState((c) => reasons.push(c.reason));
    await supervisor.start();
    opener.last.exit('exited with code 1: key sk-very-secret refused');
    assert.equal(supervisor.lastError, 'exited with code 1: key [redacted] refused');
    assert.ok(reasons.some((r) => r?.includes('[redacted]')) && !reasons.some((r) => r?.includes('sk-very-secret')));
  });
});
