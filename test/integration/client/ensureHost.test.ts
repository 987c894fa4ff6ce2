import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { VERSION } from '../../../src/shared/version';
import { ROOT, TestHome, alive, fixture, processesWithEnv, runCli } from '../../helpers/hostHarness';

function collect(child: ReturnType<TestHome['spawnCli']>): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr })));
}

/** Host processes of a home: node running runtime/<version>/host.js with that SHARED_MCP_HOME. */
async function hostPids(t: TestHome): Promise<number[]> {
  const pids = processesWithEnv(`SHARED_MCP_HOME=${t.home}`);
  const hosts: number[] = [];
  for (const pid of pids) {
    const cmd = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (cmd.includes(`${path.sep}runtime${path.sep}`) && cmd.includes('host.js')) hosts.push(pid);
  }
  return hosts;
}

describe('ensureHost (real CLI processes)', function () {
  let t: TestHome | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('ten concurrent `up` commands end with exactly one host', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    const home = t;
    const results = await Promise.all(Array.from({ length: 10 }, () => collect(home.spawnCli(['up', '--json']))));
    for (const r of results) assert.equal(r.code, 0, r.stderr);
    assert.equal(results.filter((r) => /started the host/.test(r.stderr)).length, 1, 'one command started it');
    const hosts = await hostPids(t);
    assert.equal(hosts.length, 1, `host processes: ${hosts}`);
    assert.equal((await t.registry())?.pid, hosts[0]);
    const st = await t.status();
    assert.equal(st.servers[0].state, 'running');
  });

  it('a warm `up` reuses the running host', async () => {
    t = await TestHome.create({});
    const first = await t.cli(['up']);
    assert.match(first.stderr, /started the host/);
    const second = await t.cli(['up']);
    assert.equal(second.code, 0);
    assert.doesNotMatch(second.stderr, /started the host/);
    assert.equal((await hostPids(t)).length, 1);
  });

  it('copies cli.js beside host.js into home/runtime/<version>/, and the host finds it next to itself (also when run from dist/)', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    const up = await t.cli(['up']);
    assert.equal(up.code, 0, up.stderr);
    const dir = path.join(t.home, 'runtime', VERSION);
    for (const file of ['host.js', 'cli.js']) assert.ok((await fs.readFile(path.join(dir, file))).equals(await fs.readFile(path.join(ROOT, 'dist', file))), `${file} is a copy`);
    const hostScript = async (pid: number): Promise<string> => (await fs.readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0')[1];
    const reg = await t.registry();
    assert.equal(await hostScript(reg?.pid as number), path.join(dir, 'host.js'));
    // That copy of the CLI works on its own: it is what a Claude Desktop entry runs.
    const copy = await runCli(['status', '--json'], t.env, 30_000, undefined, path.join(dir, 'cli.js'));
    assert.equal(copy.code, 0, copy.stderr);
    assert.equal((JSON.parse(copy.stdout) as { host: { pid: number } }).host.pid, reg?.pid);
    assert.equal((await t.cli(['down', '--host'])).code, 0);

    const serve = t.spawnCli(['serve']);
    const exited = new Promise((r) => serve.on('exit', r));
    let served = await t.registry();
    for (let i = 0; i < 200 && !served; i++) {
      await new Promise((r) => setTimeout(r, 50));
      served = await t.registry();
    }
    assert.ok(served, 'serve registered a host');
    assert.equal(await hostScript(served.pid), path.join(ROOT, 'dist', 'host.js'));
    assert.ok(existsSync(path.join(ROOT, 'dist', 'cli.js')), 'cli.js next to the host it runs');
    serve.kill('SIGTERM');
    await exited;
  });

  it('replaces a stale host.json (dead pid), a corrupt one, and one naming a live process that is not a host', async () => {
    t = await TestHome.create({});
    const registry = path.join(t.home, 'host.json');
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.on('exit', r));
    const stale = { pid: dead.pid, port: t.port, address: '127.0.0.1', controlToken: 'x'.repeat(64), version: '0.0.1', home: t.home, startedAt: new Date().toISOString() };
    for (const content of [JSON.stringify(stale), '{ corrupt', JSON.stringify({ ...stale, pid: process.pid })]) {
      await fs.writeFile(registry, content);
      const up = await t.cli(['up']);
      assert.equal(up.code, 0, up.stderr);
      assert.match(up.stderr, /started the host/);
      const reg = await t.registry();
      assert.ok(reg && reg.pid !== process.pid && alive(reg.pid));
      assert.equal((await fs.stat(registry)).mode & 0o777, 0o600);
      const down = await t.cli(['down', '--host']);
      assert.equal(down.code, 0, down.stderr);
      await assert.rejects(fs.access(registry), 'host.json removed on clean exit');
    }
  });

  it('takes the next free port when the configured one is busy, and records it', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(t?.port, '127.0.0.1', () => r()));
    try {
      const up = await t.cli(['up']);
      assert.equal(up.code, 0, up.stderr);
      const reg = await t.registry();
      assert.ok(reg && reg.port > t.port && reg.port < t.port + 100, `port ${reg?.port}`);
      const st = await t.status();
      assert.equal(st.host?.port, reg?.port);
      assert.equal(st.servers[0].endpoint, `http://127.0.0.1:${reg?.port}/mcp/echo`);
    } finally {
      blocker.close();
    }
  });

  it('after the host is killed with SIGKILL, the next `up` starts a new host and stops the orphaned servers', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js'), stubborn: fixture('stubbornServer.js') }, { stopGrace: '500ms' });
    await t.cli(['up']);
    const st = await t.waitFor((s) => s.servers.every((x) => x.state === 'running'), 20_000, 'running');
    const oldHost = (await t.registry())?.pid as number;
    const orphanPids = st.servers.map((s) => s.pid as number);
    process.kill(oldHost, 'SIGKILL');
    // Gone (not a zombie any more): only then is "its server outlived it" a statement about anything.
    const deadline = Date.now() + 10_000;
    while (alive(oldHost) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    assert.ok(!alive(oldHost), 'the host is gone');
    assert.ok(alive(orphanPids[1]), 'the SIGTERM-ignoring server outlived its host');
    const up = await t.cli(['up']);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stderr, /started the host/);
    for (const pid of orphanPids) assert.equal(alive(pid), false, `orphan ${pid} was stopped`);
    const fresh = await t.waitFor((s) => s.servers.every((x) => x.state === 'running'), 20_000, 'running again');
    assert.notEqual(fresh.host?.pid, oldHost);
    const log = await fs.readFile(path.join(t.home, 'logs', 'host.log'), 'utf8');
    assert.match(log, /left running by a host that did not shut down cleanly/);
  });

  it('host shutdown (down --host) leaves no process behind and removes host.json', async () => {
    t = await TestHome.create({ a: fixture('grandchildServer.js'), b: fixture('stubbornServer.js') }, { stopGrace: '500ms' });
    await t.cli(['up']);
    await t.waitFor((s) => s.servers.every((x) => x.state === 'running'), 20_000, 'running');
    assert.ok(t.processes().length >= 4);
    const down = await t.cli(['down', '--host']);
    assert.equal(down.code, 0, down.stderr);
    assert.match(down.stdout, /host stopped/);
    assert.deepEqual(t.processes(), []);
    await assert.rejects(fs.access(path.join(t.home, 'host.json')));
  });

  it('SIGTERM to the host stops every server too', async () => {
    t = await TestHome.create({ a: fixture('grandchildServer.js') });
    await t.cli(['up']);
    await t.waitForState('a', 'running');
    const hostPid = (await t.registry())?.pid as number;
    process.kill(hostPid, 'SIGTERM');
    const deadline = Date.now() + 10_000;
    while (t.processes().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(t.processes(), []);
  });

  it('hosts started at once over a stale host.json end with one host (regression)', async function () {
    this.timeout(90_000);
    t = await TestHome.create({});
    const home = t;
    const hostJs = path.join(ROOT, 'dist', 'host.js');
    for (let trial = 0; trial < 10; trial++) {
      const dead = spawn(process.execPath, ['-e', '']);
      await new Promise((r) => dead.on('exit', r));
      const stale = { pid: dead.pid, port: home.port, address: '127.0.0.1', controlToken: 'x'.repeat(64), version: '0.0.1', home: home.home, startedAt: new Date().toISOString() };
      await fs.writeFile(path.join(home.home, 'host.json'), JSON.stringify(stale));
      const hosts = Array.from({ length: 8 }, () => spawn(process.execPath, [hostJs], { env: home.env, stdio: 'ignore', detached: true }));
      const deadline = Date.now() + 20_000;
      while (hosts.filter((h) => h.exitCode !== null).length < hosts.length - 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      const codes = hosts.map((h) => h.exitCode);
      const running = hosts.filter((h) => h.exitCode === null && alive(h.pid as number));
      assert.equal(running.length, 1, `trial ${trial}: ${running.length} hosts alive (exit codes ${JSON.stringify(codes)})`);
      assert.equal((await home.registry())?.pid, running[0].pid);
      const down = await home.cli(['down', '--host']);
      assert.equal(down.code, 0, down.stderr);
    }
  });
});
