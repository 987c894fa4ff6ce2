import { strict as assert } from 'node:assert';
import { promises as fs, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ControlClient } from '../../../src/client/controlClient';
import type { HostEvent } from '../../../src/shared/controlTypes';
import { ROOT, TestHome, alive, fixture } from '../../helpers/hostHarness';
import { connect, textOf } from '../../helpers/mcpClients';
import { until } from '../../helpers/until';

const bin = (pkg: string): string => path.join(ROOT, 'node_modules', '@modelcontextprotocol', pkg, 'dist', 'index.js');

/** The server-state events of one host as they come, with their host-side times. */
async function watchStates(t: TestHome): Promise<{ events: Array<Extract<HostEvent, { type: 'server-state' }>>; dispose(): void }> {
  const events: Array<Extract<HostEvent, { type: 'server-state' }>> = [];
  const sub = new ControlClient((await t.registry())!).events((e) => e.type === 'server-state' && events.push(e), () => undefined);
  return { events, dispose: () => sub.dispose() };
}

describe('supervisor (real host, real servers)', function () {
  let t: TestHome | undefined;
  let watch: { dispose(): void } | undefined;
  afterEach(async () => {
    watch?.dispose();
    watch = undefined;
    await t?.dispose();
    t = undefined;
  });

  it('runs server-everything and server-memory and reports real pids and RSS', async () => {
    t = await TestHome.create({
      everything: { command: process.execPath, args: [bin('server-everything')] },
      memory: { command: process.execPath, args: [bin('server-memory')], env: { MEMORY_FILE_PATH: '${env:HOME}/memory.jsonl' } },
    });
    const up = await t.cli(['up']);
    assert.equal(up.code, 0, up.stderr);
    const st = await t.status();
    assert.equal(st.host?.port, t.port);
    for (const s of st.servers) {
      assert.equal(s.state, 'running', `${s.name}: ${s.lastError}`);
      assert.ok(s.pid && alive(s.pid), `${s.name} pid ${s.pid} is alive`);
      assert.ok(s.rssBytes && s.rssBytes > 10 * 1024 * 1024, `${s.name} RSS ${s.rssBytes}`);
      assert.equal(s.endpoint, `http://127.0.0.1:${t.port}/mcp/${s.name}`);
    }
    assert.equal(st.servers.find((s) => s.name === 'everything')?.serverInfo?.name, 'mcp-servers/everything');
  });

  it('restarts a server killed with SIGKILL within its backoff', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js', { resourceLimits: { restartDelay: '300ms' } }) });
    await t.cli(['up']);
    const before = await t.waitForState('echo', 'running');
    process.kill(before.pid as number, 'SIGKILL');
    const after = await t.waitFor((s) => s.servers[0].state === 'running' && s.servers[0].pid !== before.pid, 5000, 'a new echo process');
    assert.equal(after.servers[0].restarts, 1);
    assert.match(after.servers[0].lastError ?? '', /signal SIGKILL/);
  });

  it('marks a crash loop failed with the last stderr lines as the reason', async () => {
    t = await TestHome.create({ crashy: fixture('crashServer.js', { resourceLimits: { maxRestarts: 2, restartDelay: 50 } }) });
    const up = await t.cli(['up', 'crashy']);
    const s = await t.waitForState('crashy', 'failed', 15_000);
    assert.match(s.lastError ?? '', /crash loop: 3 exits/);
    assert.match(s.lastError ?? '', /fatal: simulated crash \(fixture\)/);
    assert.equal(s.pid, null);
    assert.equal(up.code, 1);
    const again = await t.cli(['status', 'crashy']);
    assert.match(again.stdout, /failed/);
  });

  it('fails a server that speaks only the 2026-07-28 protocol at once: no crash loop (regression)', async () => {
    t = await TestHome.create({});
    const starts = path.join(t.home, 'starts');
    await t.writeConfig({ modern: fixture('modernOnlyServer.js', { autoStart: false, env: { FIXTURE_STARTS_FILE: starts } }) });
    await t.cli(['up']);
    const w = await watchStates(t);
    watch = w;
    const up = await t.cli(['up', 'modern']);
    const s = await t.server('modern');
    assert.equal(up.code, 1);
    assert.equal(s.state, 'failed', `${s.state}: ${s.lastError}`);
    assert.equal(s.lastError, 'this server speaks only protocol 2026-07-28; Shared MCP does not serve that era yet');
    assert.equal(s.restarts, 0);
    assert.equal(s.pid, null);
    assert.equal((await fs.readFile(starts, 'utf8')).trim().split('\n').length, 1, 'started once');
    // Timed by the host itself (each event's time), from the start to failed: not the CLI's own latency.
    await until('the failed event', () => w.events.some((e) => e.server === 'modern' && e.state === 'failed'));
    const at = (state: string): number => Date.parse(w.events.find((e) => e.server === 'modern' && e.state === state)?.at ?? '');
    const elapsed = at('failed') - at('starting');
    assert.deepEqual(w.events.filter((e) => e.server === 'modern').map((e) => e.state), ['starting', 'failed'], 'no crash, no retry');
    assert.ok(elapsed < 1000, `failed ${elapsed} ms after it started`);
  });

  it('a call made while a restart is stopping the server is answered by the new process (regression: a false "stopped" error)', async () => {
    // SIGTERM is ignored: the old process takes the whole stopGrace to go, and the restart is stopping meanwhile.
    t = await TestHome.started({ stub: fixture('stubbornServer.js') }, { stopGrace: '3s' });
    const w = await watchStates(t);
    watch = w;
    const before = await t.server('stub');
    const { client } = await connect(t, 'stub');
    try {
      const restart = t.cli(['restart', 'stub']);
      await until('the restart to be stopping', () => w.events.some((e) => e.server === 'stub' && e.state === 'stopping'));
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'through the restart' } })), 'through the restart');
      assert.equal((await restart).code, 0);
      assert.notEqual((await t.server('stub')).pid, before.pid);
      assert.deepEqual(w.events.filter((e) => e.server === 'stub').map((e) => e.state), ['stopping', 'starting', 'running']);
    } finally {
      await client.close();
    }
  });

  it('a client that connects during an idle stop starts the server again (regression: it waited startupTimeout + 10 s, then failed)', async () => {
    t = await TestHome.create({ idler: fixture('stubbornServer.js', { idleTimeout: '1s', startupTimeout: '5s' }) }, { stopGrace: '3s' });
    await t.cli(['up']);
    const w = await watchStates(t);
    watch = w;
    await until('the idle stop', () => w.events.some((e) => e.server === 'idler' && e.state === 'stopping'), 30_000);
    const { client } = await connect(t, 'idler');
    try {
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'awake' } })), 'awake');
      assert.deepEqual(w.events.filter((e) => e.server === 'idler').map((e) => e.state), ['stopping', 'idle', 'starting', 'running']);
    } finally {
      await client.close();
    }
  });

  it('fails a server whose command does not exist, with a clear reason', async () => {
    t = await TestHome.create({ ghost: { command: 'definitely-not-a-command-xyz' } });
    const up = await t.cli(['up', 'ghost']);
    assert.equal(up.code, 1);
    assert.match(up.stdout, /failed/);
    const s = await t.server('ghost');
    assert.equal(s.state, 'failed');
    assert.equal(s.lastError, 'command not found: definitely-not-a-command-xyz');
  });

  it('restarts a server whose process tree grows over maxMemory', async () => {
    t = await TestHome.create({ hog: fixture('memoryHogServer.js', { resourceLimits: { maxMemory: '150M', restartDelay: 100 } }) });
    await t.cli(['up']);
    const first = await t.waitForState('hog', 'running');
    const st = await t.waitFor((s) => s.servers[0].restarts >= 1 && s.servers[0].state === 'running', 30_000, 'a memory-limit restart');
    assert.notEqual(st.servers[0].pid, first.pid);
    assert.match(st.servers[0].lastError ?? '', /memory limit exceeded: \d+ MB > 150 MB/);
    assert.equal(alive(first.pid as number), false);
  });

  it('leaves no process of a server behind on down, grandchildren and SIGTERM-ignoring servers included', async () => {
    t = await TestHome.create({}, { stopGrace: '1s' });
    const pidFile = path.join(t.home, 'grandchildren.pids');
    await t.writeConfig({
      tree: fixture('grandchildServer.js', { env: { FIXTURE_PID_FILE: pidFile } }),
      stubborn: fixture('stubbornServer.js'),
      npx: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'], cwd: ROOT, env: { MEMORY_FILE_PATH: '${env:HOME}/m.jsonl' } },
    }, { stopGrace: '1s' });
    await t.cli(['up']);
    await t.waitFor((s) => s.servers.every((x) => x.state === 'running'), 60_000, 'all running');
    const pids = (await fs.readFile(pidFile, 'utf8')).trim().split('\n').map(Number);
    assert.equal(pids.length, 3);
    assert.ok(pids.every(alive), 'server and both grandchildren run');
    const hostPid = (await t.registry())?.pid as number;
    const down = await t.cli(['down']);
    assert.equal(down.code, 0, down.stderr);
    assert.ok(pids.every((p) => !alive(p)), `still alive: ${pids.filter(alive)}`);
    assert.deepEqual(t.processes(), [hostPid], 'only the host is left');
    for (const s of (await t.status()).servers) assert.equal(s.state, 'stopped');
  });

  it('keeps the host responsive and the log bounded while a server floods stderr', async () => {
    t = await TestHome.create({ flood: fixture('floodServer.js'), echo: fixture('fixtureServer.js') });
    await t.cli(['up']);
    await t.waitForState('flood', 'running');
    const floodLog = path.join(t.home, 'logs', 'flood.log');
    // Flooding for real: the rate limit has dropped lines (its note is in the log file).
    await t.waitFor(() => /lines dropped/.test(readFileSync(floodLog, 'utf8')), 30_000, 'the rate limit to drop lines');
    const started = Date.now();
    const st = await t.status();
    assert.ok(Date.now() - started < 5000, 'status answered while flooding');
    assert.equal(st.servers.find((s) => s.name === 'echo')?.state, 'running');
    const logs = await t.cli(['logs', 'flood', '-n', '5']);
    assert.equal(logs.code, 0);
    assert.match(logs.stdout, /flood flood|lines dropped/);
    const size = (await fs.stat(path.join(t.home, 'logs', 'flood.log'))).size;
    assert.ok(size <= 5 * 1024 * 1024, `flood.log is ${size} bytes`);
  });

  it('starts lazy servers on demand, stops idle ones, and refuses disabled ones', async () => {
    t = await TestHome.create({
      lazy: fixture('fixtureServer.js', { autoStart: 'lazy' }),
      manual: fixture('fixtureServer.js', { autoStart: false }),
      idler: fixture('fixtureServer.js', { idleTimeout: '3s' }),
      off: fixture('fixtureServer.js', { disabled: true }),
    });
    const first = await t.cli(['up', '--json']);
    assert.equal(JSON.parse(first.stdout).servers.find((s: { name: string }) => s.name === 'idler')?.state, 'running');
    let st = await t.status();
    const state = (n: string): string | undefined => st.servers.find((s) => s.name === n)?.state;
    assert.equal(state('lazy'), 'idle');
    assert.equal(state('manual'), 'stopped');
    assert.equal(state('off'), 'disabled');
    await t.waitForState('idler', 'idle', 10_000);
    const up = await t.cli(['up', 'lazy', 'manual']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    st = await t.status();
    assert.equal(state('lazy'), 'running');
    assert.equal(state('manual'), 'running');
    const refused = await t.cli(['up', 'off']);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /disabled in the config: off/);
  });
});
