import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as net from 'node:net';
import { ControlClient } from '../../../src/client/controlClient';
import type { HostEvent } from '../../../src/shared/controlTypes';
import { until } from '../../helpers/until';
import { CLI, TestHome, alive, fixture, freePort } from '../../helpers/hostHarness';


function parentOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Regression tests for races between stop, start, memory restarts, shutdown and a killed host. */
describe('lifecycle races (real host)', function () {
  let t: TestHome | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  const serverPids = (home: TestHome, hostPid: number): number[] => home.processes().filter((p) => p !== hostPid);

  it('two restarts in a row leave exactly one server process (a start waits for the stop before it)', async () => {
    t = await TestHome.create({ stub: fixture('stubbornServer.js') }, { stopGrace: '1500ms' });
    await t.cli(['up']);
    await t.waitForState('stub', 'running');
    const hostPid = (await t.registry())?.pid as number;
    const first = t.cli(['restart', 'stub']);
    await t.waitForState('stub', 'stopping'); // the first restart is stopping the stubborn process
    const second = t.cli(['restart', 'stub']);
    assert.equal((await first).code, 0);
    assert.equal((await second).code, 0);
    const st = await t.waitForState('stub', 'running');
    assert.deepEqual(serverPids(t, hostPid), [st.pid]);
  });

  it('a stop that is still killing is awaited by host shutdown', async () => {
    t = await TestHome.create({ stub: fixture('stubbornServer.js') }, { stopGrace: '2s' });
    await t.cli(['up']);
    const { pid } = await t.waitForState('stub', 'running');
    const down = t.cli(['down', 'stub']);
    await t.waitForState('stub', 'stopping'); // still killing: SIGTERM is ignored for the 2 s grace
    const hostDown = await t.cli(['down', '--host']);
    assert.equal(hostDown.code, 0, hostDown.stderr);
    await down;
    assert.equal(alive(pid as number), false);
    assert.deepEqual(t.processes(), []);
  });

  it('a memory-limit restart does not bring back a server stopped meanwhile', async () => {
    t = await TestHome.create(
      { hog: fixture('memoryHogServer.js', { env: { FIXTURE_IGNORE_SIGTERM: '1' }, resourceLimits: { maxMemory: '120M', restartDelay: 100 } }) },
      { stopGrace: '2s' },
    );
    await t.cli(['up']);
    await t.waitFor((s) => s.servers[0].state === 'crashed' && /memory limit/.test(s.servers[0].lastError ?? ''), 30_000, 'the memory-limit stop');
    const down = await t.cli(['down', 'hog']);
    assert.equal(down.code, 0, down.stderr);
    // That no restart is left waiting is proven with a fake clock in test/unit/host/supervisor/serverSupervisor.test.ts
    // ("a stop after a memory-limit stop wins"); here: the stop ends stopped, with nothing running.
    const s = await t.server('hog');
    assert.equal(s.state, 'stopped');
    assert.equal(s.pid, null);
  });

  it('refuses to start servers while the host shuts down, and leaves nothing behind', async () => {
    t = await TestHome.create({ stub: fixture('stubbornServer.js') }, { stopGrace: '2s' });
    await t.cli(['up']);
    await t.waitForState('stub', 'running');
    const oldHost = (await t.registry())?.pid as number;
    const events: HostEvent[] = [];
    const sub = new ControlClient((await t.registry())!).events((e) => events.push(e), () => undefined);
    const hostDown = t.cli(['down', '--host']);
    await until('the host to start shutting down', () => events.some((e) => e.type === 'host-stopping'));
    sub.dispose();
    // The stopping host no longer accepts connections: the late `up` is refused, or starts a fresh host.
    const up = await t.cli(['up', 'stub']);
    if (up.code === 0) assert.notEqual((await t.registry())?.pid, oldHost, 'a fresh host, not the one shutting down');
    else assert.match(up.stderr, /shutting down|no host|cannot reach|did not become ready|exited while starting|started the host/);
    await hostDown;
    assert.equal(alive(oldHost), false);
    // Whatever the late `up` did (refused, or started a fresh host after the old one left), nothing of the old host survives.
    await t.cli(['down', '--host']);
    assert.deepEqual(t.processes(), []);
  });

  it('stops a server that is still starting at once, without waiting for its start-up timeout (regression)', async function () {
    this.timeout(30_000); // the start-up timeout below is 60 s: waiting for it would fail this test
    t = await TestHome.create({ mute: { command: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'], startupTimeout: '60s' } });
    const up = t.cli(['up']);
    await t.waitForState('mute', 'starting');
    let pid = 0;
    await until('the starting process in state/processes.json', async () => {
      const tracked = await fs.readFile(path.join((t as TestHome).home, 'state', 'processes.json'), 'utf8').catch(() => '{}');
      pid = JSON.parse(tracked).mute?.root ?? 0;
      return pid !== 0;
    });
    const down = await t.cli(['down', 'mute']);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await up).code, 0);
    assert.equal((await t.server('mute')).state, 'stopped');
    assert.equal(alive(pid), false);
  });

  it('`serve` and `up` started together end with one host', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    const serve = spawn(process.execPath, [CLI, 'serve'], { env: t.env, stdio: 'ignore', detached: true });
    let serveExited = false;
    serve.once('exit', () => (serveExited = true));
    const up = await t.cli(['up']);
    assert.equal(up.code, 0, up.stderr);
    // Settled: `serve` gave up (its host lost the claim, or it found the other) or its host is the registered one.
    await until('`serve` to win or give up', async () => serveExited || parentOf((await t!.registry())?.pid ?? 0) === serve.pid);
    const hostCount = async (): Promise<number> => (await Promise.all((t as TestHome).processes().map((p) => fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')))).filter((c) => c.includes('host.js')).length;
    await until('the losing host to exit', async () => (await hostCount()) === 1);
    const reg = await t.registry();
    const hosts = t.processes().filter((p) => p === reg?.pid || !(t as TestHome).processes().includes(p));
    const hostCmds = await Promise.all(t.processes().map(async (p) => [p, await fs.readFile(`/proc/${p}/cmdline`, 'utf8').catch(() => '')] as const));
    const hostProcs = hostCmds.filter(([, c]) => c.includes('host.js')).map(([p]) => p);
    assert.equal(hostProcs.length, 1, `hosts: ${hostProcs} ${hosts}`);
    assert.equal(hostProcs[0], reg?.pid);
    await t.cli(['down', '--host']);
    try {
      process.kill(-(serve.pid as number), 'SIGKILL');
    } catch {
      // already exited
    }
  });

  it('after SIGKILL of the host, the next host stops grandchildren whose parent already exited', async () => {
    t = await TestHome.create({});
    const pidFile = path.join(t.home, 'grandchildren.pids');
    await t.writeConfig({ tree: fixture('grandchildServer.js', { env: { FIXTURE_PID_FILE: pidFile } }) });
    await t.cli(['up']);
    await t.waitForState('tree', 'running');
    const [root, inGroup, escaped] = (await fs.readFile(pidFile, 'utf8')).trim().split('\n').map(Number);
    const recorded = async (): Promise<number[]> => (JSON.parse(await fs.readFile(path.join((t as TestHome).home, 'state', 'processes.json'), 'utf8').catch(() => '{}')).tree?.members ?? []).map((m: { pid: number }) => m.pid);
    await until('the tree sample in state/processes.json', async () => {
      const members = await recorded();
      return [inGroup, escaped].every((p) => members.includes(p));
    });
    process.kill((await t.registry())?.pid as number, 'SIGKILL');
    await until('the server to exit once its stdin closed (its host died)', () => !alive(root), 5000);
    assert.ok(alive(escaped) && alive(inGroup), 'its grandchildren did not');
    const up = await t.cli(['up']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(alive(inGroup), false);
    assert.equal(alive(escaped), false);
  });

  it('a down issued while a restart is still stopping has the last word (regression)', async () => {
    t = await TestHome.create({ stub: fixture('stubbornServer.js') }, { stopGrace: '1500ms' });
    await t.cli(['up']);
    const { pid } = await t.waitForState('stub', 'running');
    const restart = t.cli(['restart', 'stub']);
    await t.waitForState('stub', 'stopping');
    const down = await t.cli(['down', 'stub']);
    assert.equal(down.code, 0, down.stderr);
    // The restart has returned: it saw the later stop and started nothing (no start of it is left pending).
    await restart;
    const s = await t.server('stub');
    assert.equal(s.state, 'stopped');
    assert.equal(alive(pid as number), false);
    assert.deepEqual(serverPids(t, (await t.registry())?.pid as number), []);
  });

  it('a start during a memory-limit stop waits for the old process tree: never two at once (regression)', async () => {
    t = await TestHome.create(
      { hog: fixture('memoryHogServer.js', { env: { FIXTURE_IGNORE_SIGTERM: '1' }, resourceLimits: { maxMemory: '120M', restartDelay: '5s' } }) },
      { stopGrace: '2s' },
    );
    await t.cli(['up']);
    const first = await t.waitForState('hog', 'running');
    await t.waitFor((s) => s.servers[0].state === 'crashed', 30_000, 'the memory-limit stop');
    assert.ok(alive(first.pid as number), 'the old tree is still within its grace period');
    const up = await t.cli(['up', 'hog']);
    assert.equal(up.code, 0, up.stderr);
    assert.equal(alive(first.pid as number), false, 'the old process was gone before the new one started');
    const now = await t.server('hog');
    assert.equal(now.state, 'running');
    assert.deepEqual(serverPids(t, (await t.registry())?.pid as number), [now.pid]);
  });

  it('stops a remote that accepted the connection but never answers, without waiting for its timeout (regression)', async function () {
    this.timeout(30_000);
    const silent = net.createServer(() => undefined); // accepts, never answers
    const port = await freePort();
    await new Promise<void>((r) => silent.listen(port, '127.0.0.1', () => r()));
    try {
      t = await TestHome.create({ mute: { url: `http://127.0.0.1:${port}/mcp`, startupTimeout: '60s' } });
      const up = t.cli(['up']);
      await t.waitForState('mute', 'starting');
      const down = await t.cli(['down', 'mute']);
      assert.equal(down.code, 0, down.stderr);
      await up;
      assert.equal((await t.server('mute')).state, 'stopped');
    } finally {
      silent.close();
    }
  });
});
