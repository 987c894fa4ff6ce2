import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { ROOT, TestHome, alive, fixture } from '../../helpers/hostHarness';
import { ControlClient } from '../../../src/client/controlClient';
import type { HostRegistry } from '../../../src/shared/registry';
import { clientToken, connect } from '../../helpers/mcpClients';
import { until } from '../../helpers/until';

const HOST = path.join(ROOT, 'dist', 'host.js');

/** The host's shutdown always ends: exit code, host.json, no process left (DESIGN.md: vite's memoised close). */
describe('host shutdown (real host)', function () {
  let t: TestHome;
  beforeEach(async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
  });
  afterEach(async () => t.dispose());

  /** Runs dist/host.js itself (not through the CLI), so its own exit code is seen. */
  async function startHost(): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
    const child = spawn(process.execPath, [HOST], { env: { ...t.env, SHARED_MCP_SHELL_ENV: '0' }, stdio: 'ignore', detached: true });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await t.waitForState('echo', 'running');
    return { child, exited };
  }

  for (const [signal, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) {
    it(`${signal} ends the host with exit code ${code} (128 + signal), host.json removed, no server left`, async () => {
      const { child, exited } = await startHost();
      const serverPid = (await t.server('echo')).pid as number;
      child.kill(signal);
      assert.equal(await exited, code);
      await assert.rejects(fs.access(path.join(t.home, 'host.json')));
      assert.equal(alive(serverPid), false);
    });
  }

  it('a shutdown asked for over the control API ends the host with exit code 0', async () => {
    const { exited } = await startHost();
    assert.equal((await t.cli(['down', '--host'])).code, 0);
    assert.equal(await exited, 0);
  });

  it("stops every session's own process of a per-session server before it exits, and records each of them (regression: they outlived the host)", async () => {
    await t.writeConfig({ own: fixture('stubbornServer.js', { sharing: 'per-session' }) }, { stopGrace: '1s' });
    await t.cli(['up']);
    const a = await connect(t, 'own', { name: 'a' });
    const b = await connect(t, 'own', { name: 'b' });
    const st = await t.waitFor((s) => s.servers[0]?.sessions.filter((x) => typeof x.pid === 'number').length === 2, 20_000, 'two sessions with their own process');
    const pids = st.servers[0].sessions.map((x) => x.pid as number);
    const tracked = JSON.parse(await fs.readFile(path.join(t.home, 'state', 'processes.json'), 'utf8')) as Record<string, { root: number }>;
    assert.deepEqual(Object.values(tracked).map((x) => x.root).sort(), [...pids].sort(), 'each process is in processes.json');
    assert.equal((await t.cli(['down', '--host'])).code, 0);
    assert.deepEqual(pids.filter(alive), [], 'no session process outlives the host (they ignore SIGTERM: SIGKILL after the grace)');
    await Promise.all([a.client.close(), b.client.close()].map((p) => p.catch(() => undefined)));
  });

  it('a host started while the last one is still stopping waits for it to exit before it takes the home (regression: it reaped the stopping host\'s servers)', async () => {
    await t.writeConfig({ stub: fixture('stubbornServer.js') }, { stopGrace: '6s' });
    await t.cli(['up']);
    await t.waitForState('stub', 'running');
    const old = (await t.registry()) as HostRegistry;
    const stubPid = (await t.server('stub')).pid as number;
    await new ControlClient(old).shutdown();
    // The stub ignores SIGTERM: the old host is busy for its 6 s grace while the next one starts.
    const up = await t.cli(['up']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(alive(old.pid), false, 'the new host took the home only once the old one was gone');
    assert.equal(alive(stubPid), false);
    const next = (await t.registry()) as HostRegistry;
    assert.notEqual(next.pid, old.pid);
    const log = await fs.readFile(path.join(t.home, 'logs', 'host.log'), 'utf8');
    assert.doesNotMatch(log, /did not shut down cleanly/, 'nothing of the old host was taken for an orphan');
  });

  it('an initialize whose clientInfo is nested 6,000 deep wedges nothing: down --host stops the host, the next one saves sessions (attack 3)', async () => {
    await t.cli(['up']);
    await t.waitForState('echo', 'running');
    // Written as text: JSON.stringify itself cannot go this deep.
    const deep = `${'{"a":'.repeat(6000)}"x"${'}'.repeat(6000)}`;
    const body = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"deep","version":"1","extra":${deep}}}}`;
    const res = await fetch(`http://127.0.0.1:${t.port}/mcp/echo`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await clientToken(t)}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body,
    });
    await res.text();
    const hostPid = (await t.registry())?.pid as number;
    const down = await t.cli(['down', '--host'], 30_000);
    assert.equal(down.code, 0, down.stderr);
    assert.equal(alive(hostPid), false, 'the host is gone');
    assert.equal((await t.cli(['up'])).code, 0, 'a new host starts (no "shutting down")');
    const { client, transport } = await connect(t, 'echo');
    const sessions = path.join(t.home, 'state', 'sessions.json');
    const id = (transport as { sessionId?: string }).sessionId as string;
    await until('state/sessions.json to get the new session', async () => (await fs.readFile(sessions, 'utf8').catch(() => '')).includes(id), 10_000);
    await client.close();
  });
});
