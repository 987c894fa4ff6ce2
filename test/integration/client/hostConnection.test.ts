import { strict as assert } from 'node:assert';
import { HostConnection, type HostSnapshot } from '../../../src/client/hostConnection';
import { TestHome, fixture } from '../../helpers/hostHarness';

async function next(conn: HostConnection, what: string, ok: (s: HostSnapshot) => boolean, timeoutMs = 20_000): Promise<HostSnapshot> {
  if (ok(conn.snapshot)) return conn.snapshot;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      sub.dispose();
      reject(new Error(`timed out waiting for ${what}; last snapshot: ${JSON.stringify({ phase: conn.snapshot.phase, error: conn.snapshot.error })}`));
    }, timeoutMs);
    const sub = conn.onDidChange((s) => {
      if (!ok(s)) return;
      clearTimeout(timer);
      sub.dispose();
      resolve(s);
    });
  });
}

describe('HostConnection (real host)', function () {
  this.timeout(90_000);
  let t: TestHome | undefined;
  let conn: HostConnection | undefined;
  afterEach(async () => {
    conn?.dispose();
    conn = undefined;
    await t?.dispose();
    t = undefined;
  });

  it('follows the host live: server states from events, unreachable when it stops, connected again when one starts', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    await t.cli(['up']);
    conn = new HostConnection({ home: t.home });
    await conn.connect(false);
    const first = await next(conn, 'a running server', (s) => s.phase === 'connected' && s.status?.servers[0]?.state === 'running');
    assert.equal(first.status?.servers[0]?.name, 'echo');

    await t.cli(['down', 'echo']);
    await next(conn, 'the stop to show', (s) => s.status?.servers[0]?.state === 'stopped');

    await t.cli(['down', '--host']);
    const gone = await next(conn, 'unreachable', (s) => s.phase === 'unreachable');
    assert.ok(gone.error, 'says why');

    await t.cli(['up']);
    await next(conn, 'the new host', (s) => s.phase === 'connected' && s.status?.servers[0]?.state === 'running');
  });

  it('notices a host killed with SIGKILL (its event stream is cut without an end), then finds the next one (regression)', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    await t.cli(['up']);
    conn = new HostConnection({ home: t.home });
    await conn.connect(false);
    await next(conn, 'connected', (s) => s.phase === 'connected');
    const reg = await t.registry();
    process.kill(reg!.pid, 'SIGKILL');
    await next(conn, 'unreachable after the kill', (s) => s.phase === 'unreachable', 10_000);
    await t.cli(['up']);
    await next(conn, 'the next host', (s) => s.phase === 'connected' && s.status?.servers[0]?.state === 'running');
  });

  it('reports unreachable, with the reason, when no host runs and it may not start one', async () => {
    t = await TestHome.create({});
    conn = new HostConnection({ home: t.home });
    await conn.connect();
    assert.equal(conn.snapshot.phase, 'unreachable');
    assert.match(conn.snapshot.error ?? '', /no gateway host is running/);
  });
});
