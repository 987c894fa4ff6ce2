import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { HostStatus, SessionStatus } from '../../../src/shared/controlTypes';
import { VERSION } from '../../../src/shared/version';
import { RawBridge, connectBridge, textOfResult, type BridgeClient } from '../../helpers/bridgeProcess';
import { ROOT, TestHome, alive, fixture } from '../../helpers/hostHarness';
import { connect, textOf } from '../../helpers/mcpClients';

const EVERYTHING = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');

async function call(client: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  return textOf(await client.callTool({ name, arguments: args }));
}

/**
 * SIGKILLs the host's process group and waits until its port refuses connections: for a few milliseconds after its
 * main thread is a zombie, the other threads still hold the listening socket, whose backlog accepts and then resets
 * (the bridge rightly calls a request sent then "may have run").
 */
async function killHost(t: TestHome): Promise<number> {
  const reg = await t.registry();
  assert.ok(reg);
  process.kill(-reg.pid, 'SIGKILL');
  const refused = (): Promise<boolean> =>
    new Promise((resolve) => {
      const socket = net.connect(reg.port, reg.address);
      socket.on('connect', () => (socket.destroy(), resolve(false)));
      socket.on('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
    });
  for (let i = 0; i < 200 && (alive(reg.pid) || !(await refused())); i++) await sleep(25);
  assert.ok(!alive(reg.pid) && (await refused()), `host ${reg.pid} is gone`);
  return reg.pid;
}

/** Polls a condition the test can see (it never stands for "it has happened by now"). */
async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

function sessionOf(st: HostStatus, server: string, client: string): SessionStatus | undefined {
  return st.servers.find((s) => s.name === server)?.sessions.find((x) => x.client?.name === client);
}

describe('shared-mcp bridge (real processes)', function () {
  let t: TestHome | undefined;
  let closers: Array<() => Promise<unknown>> = [];
  const bridge = async (home: TestHome, server: string, opts: Parameters<typeof connectBridge>[2] = {}): Promise<BridgeClient> => {
    const b = await connectBridge(home, server, opts);
    closers.push(() => b.client.close());
    return b;
  };
  const raw = (home: TestHome, server: string): RawBridge => {
    const r = new RawBridge(home, server);
    closers.push(() => r.kill());
    return r;
  };
  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
    closers = [];
    await t?.dispose();
    t = undefined;
  });

  it('starts the host when none runs, then initializes, lists tools and calls one', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js') });
    assert.equal(await t.registry(), undefined);
    const b = await bridge(t, 'p', { name: 'desktop' });
    assert.equal(b.client.getServerVersion()?.name, 'protocol-fixture');
    const { tools } = await b.client.listTools();
    assert.ok(tools.some((x) => x.name === 'echo'), JSON.stringify(tools));
    assert.equal(await call(b.client, 'echo', { text: 'through the bridge' }), 'through the bridge');
    assert.match(b.stderr(), /started the host: pid \d+, port \d+/);
    const st = await t.status();
    assert.ok(st.host && alive(st.host.pid));
    assert.equal(sessionOf(st, 'p', 'desktop')?.transport, 'streamable-http');
  });

  it('two bridges and one direct HTTP client share one server process', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js') });
    const a = await bridge(t, 'p', { name: 'bridge-a' });
    // The copy a Claude Desktop entry names: it outlives an extension update.
    const b = await bridge(t, 'p', { name: 'bridge-b', cli: path.join(t.home, 'runtime', VERSION, 'cli.js') });
    const direct = (await connect(t, 'p', { name: 'direct' })).client;
    closers.push(() => direct.close());
    const pids = await Promise.all([a.client, b.client, direct].map((c) => call(c, 'pid')));
    assert.equal(new Set(pids).size, 1, `one server process: ${pids}`);
    const server = await t.server('p');
    assert.equal(String(server.pid), pids[0]);
    assert.deepEqual(server.sessions.map((s) => s.client?.name).sort(), ['bridge-a', 'bridge-b', 'direct']);
  });

  it('passes progress and server→client requests through, both ways (fixture and server-everything)', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js'), everything: { command: process.execPath, args: [EVERYTHING] } });
    const b = await bridge(t, 'p', { samplingAnswer: 'sampled by the desktop', elicitName: 'Ada' });
    const steps: number[] = [];
    const done = await b.client.callTool({ name: 'slow', arguments: { steps: 3, ms: 20, tag: 'x' } }, undefined, { onprogress: (p) => void steps.push(p.progress) });
    assert.equal(textOf(done), 'done x');
    assert.deepEqual(steps, [1, 2, 3]);
    assert.match(await call(b.client, 'sample', { prompt: 'hi' }), /sampled by the desktop/);
    assert.match(await call(b.client, 'elicit'), /"name":"Ada"/);

    const e = await bridge(t, 'everything', { samplingAnswer: 'sampled for everything' });
    const progress: number[] = [];
    const long = await e.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.6, steps: 3 } }, undefined, { onprogress: (p) => void progress.push(p.progress) });
    assert.match(textOf(long), /Long running operation completed/);
    assert.deepEqual(progress.slice(0, 2), [1, 2], `progress ${progress}`);
    assert.match(await call(e.client, 'trigger-sampling-request', { prompt: 'hello' }), /sampled for everything/);
  });

  it('survives its host SIGKILLed mid-session: same session, new host; the call in flight gets an error; the GET stream comes back', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js') });
    const b = await bridge(t, 'p', { name: 'desktop' });
    let listChanged = 0;
    b.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => void listChanged++);
    const announced = async (): Promise<void> => {
      listChanged = 0;
      for (let i = 0; i < 50 && listChanged === 0; i++) {
        await call(b.client, 'changed');
        await sleep(100);
      }
      assert.ok(listChanged > 0, 'a list_changed reached the client over the GET stream');
    };
    assert.equal(await call(b.client, 'echo', { text: 'before' }), 'before');
    await announced();
    const before = await t.status();
    const session = sessionOf(before, 'p', 'desktop');
    assert.ok(session);
    const waiting = b.client.callTool({ name: 'wait', arguments: { ms: 120_000 } }).then(
      () => 'answered',
      (err: Error) => err.message,
    );
    await t.waitFor((s) => sessionOf(s, 'p', 'desktop')?.inFlight === 1, 10_000, 'the wait call in flight');
    await killHost(t);
    assert.match(await waiting, /broke while this was in flight, so it may have run/);

    assert.equal(await call(b.client, 'echo', { text: 'after' }), 'after');
    const after = await t.status();
    assert.ok(after.host && after.host.pid !== before.host?.pid, 'a new host');
    assert.equal(sessionOf(after, 'p', 'desktop')?.id, session.id, 'the same session');
    assert.match(b.stderr(), /lost the host at 127\.0\.0\.1:\d+/);
    await announced();
  });

  it('finds a host restarted by someone else for its GET stream, and never restarts a host stopped on purpose', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js') });
    const b = await bridge(t, 'p', { name: 'desktop' });
    let listChanged = 0;
    b.client.setNotificationHandler(ToolListChangedNotificationSchema, async () => void listChanged++);
    assert.equal(await call(b.client, 'echo', { text: 'x' }), 'x');
    assert.equal((await t.cli(['down', '--host'])).code, 0);
    // The bridge's stream looked for the host and found none: the moment it could have started one, had it been wrong.
    await until(() => /no host is running; the next message from the client starts one/.test(b.stderr()), 'the bridge to find no host', 20_000);
    assert.equal(await t.registry(), undefined, 'the host stays stopped while the client sends nothing');
    assert.equal((await t.cli(['up'])).code, 0);
    // Another client makes the server announce a change: it reaches the bridge's client only over a reopened GET stream.
    const direct = (await connect(t, 'p', { name: 'direct' })).client;
    closers.push(() => direct.close());
    for (let i = 0; i < 100 && listChanged === 0; i++) {
      await call(direct, 'changed');
      await sleep(100);
    }
    assert.ok(listChanged > 0, 'list_changed reached the bridge client');
    assert.match(b.stderr(), /connected to the host again/);
    assert.equal(await call(b.client, 'echo', { text: 'y' }), 'y');
  });

  it('opens a new session by itself when the restarted host no longer knows it', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js') });
    const b = await bridge(t, 'p', { name: 'desktop' });
    assert.equal(await call(b.client, 'echo', { text: 'one' }), 'one');
    const before = await t.status();
    await killHost(t);
    await fs.rm(path.join(t.home, 'state', 'sessions.json'));
    assert.equal(await call(b.client, 'echo', { text: 'two' }), 'two');
    const after = sessionOf(await t.status(), 'p', 'desktop');
    assert.ok(after && after.id !== sessionOf(before, 'p', 'desktop')?.id, 'a new session');
    assert.match(b.stderr(), /no longer knew session [0-9a-f]{8}; continuing in a new session/);
  });

  it('keeps messages in order, also those it holds while the host is started again', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js') });
    const r = raw(t, 'p');
    await r.initialize();
    // Each cancel must reach the server after its request, or the server never sees it (and the wait runs on).
    const burst = async (tag: string): Promise<string[]> => {
      for (let i = 0; i < 5; i++) {
        r.call(`${tag}-wait-${i}`, 'wait', { ms: 120_000 });
        r.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: `${tag}-wait-${i}`, reason: 'test' } });
      }
      r.call(`${tag}-cancelled`, 'cancelled');
      const answer = await r.response(`${tag}-cancelled`);
      assert.ok(answer.result, `${JSON.stringify(answer)}; stderr: ${r.stderr}`);
      return JSON.parse(textOfResult(answer)) as string[];
    };
    assert.equal((await burst('a')).length, 5);
    const host = await killHost(t);
    assert.equal((await burst('b')).length, 5);
    assert.ok(!r.messages.some((m) => m.error), JSON.stringify(r.messages.filter((m) => m.error)));
    assert.match(r.stderr, /started the host/);
    assert.notEqual((await t.registry())?.pid, host);
  });

  it('answers a modern client\'s server/discover itself with -32601, then serves the initialize it falls back to (regression)', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js') });
    const r = raw(t, 'p');
    // What Claude Code 2.1.328 sends first on every stdio connection (seen on the wire).
    const meta = { 'io.modelcontextprotocol/protocolVersion': '2026-07-28', 'io.modelcontextprotocol/clientInfo': { name: 'claude-code', version: '2.1.328' }, 'io.modelcontextprotocol/clientCapabilities': {} };
    r.send({ jsonrpc: '2.0', id: 'server-discover-probe-1', method: 'server/discover', params: { _meta: meta } });
    const probe = await r.response('server-discover-probe-1');
    assert.deepEqual(probe, { jsonrpc: '2.0', id: 'server-discover-probe-1', error: { code: -32601, message: 'Method not found: server/discover (this server speaks the protocol versions that begin with initialize)' } });
    await r.initialize('modern-first');
    r.call(1, 'echo', { text: 'after the fallback' });
    assert.equal(textOfResult(await r.response(1)), 'after the fallback');
    // Also once a session is open, and for a numeric id; a notification of that name gets no answer.
    r.send({ jsonrpc: '2.0', method: 'server/discover' });
    r.send({ jsonrpc: '2.0', id: 0, method: 'server/discover' });
    assert.equal((await r.response(0)).error?.code, -32601);
    assert.equal(r.messages.filter((m) => m.error).length, 2, JSON.stringify(r.messages));
    assert.equal(r.stderr.match(/probed with server\/discover/g)?.length, 1, r.stderr);
    assert.match(r.stderr, /the client probed with server\/discover \(protocol 2026-07-28\); answered "method not found", so it goes on with initialize/);
  });

  it('answers server/discover by itself, before and without any host: even one that cannot start', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js') });
    await fs.mkdir(path.join(t.home, 'token'));
    const r = await t.cli(['bridge', 'p'], 60_000, `${JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'server/discover', params: {} })}\n`);
    assert.equal(r.code, 1, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { jsonrpc: '2.0', id: 7, error: { code: -32601, message: 'Method not found: server/discover (this server speaks the protocol versions that begin with initialize)' } });
    assert.match(r.stderr, /the host exited while starting/);
  });

  it('answers a line that is not JSON, or not JSON-RPC, with an error and carries on', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js') });
    const r = raw(t, 'p');
    await r.initialize();
    r.send('this is not json');
    r.send('{"jsonrpc":"2.0","id":7}');
    r.call(8, 'echo', { text: 'still here' });
    assert.equal(textOfResult(await r.response(8)), 'still here');
    const parse = await r.waitFor((m) => m.id === null && m.error?.code === -32700, 'a parse error');
    assert.match(parse.error?.message ?? '', /not JSON: this is not json/);
    assert.equal((await r.response(7)).error?.code, -32600);
    assert.match(r.stderr, /Parse error/);
  });

  for (const how of ['stdin closed', 'SIGTERM'] as const) {
    it(`${how}: ends the session on the host and exits 0`, async () => {
      t = await TestHome.create({ p: fixture('protocolServer.js') });
      const r = raw(t, 'p');
      await r.initialize('leaving');
      r.call(1, 'echo', { text: 'x' });
      await r.response(1);
      assert.ok(sessionOf(await t.status(), 'p', 'leaving'));
      if (how === 'stdin closed') r.child.stdin.end();
      else r.child.kill('SIGTERM');
      assert.equal(await r.exited, 0, r.stderr);
      assert.equal(sessionOf(await t.status(), 'p', 'leaving'), undefined);
    });
  }

  it('exits 1 with one line for an unknown server, and 2 for usage errors', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js') });
    const unknown = await t.cli(['bridge', 'nosuch']);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.stderr, 'shared-mcp: unknown server: nosuch (configured: p)\n');
    assert.equal(unknown.stdout, '');
    for (const args of [['bridge'], ['bridge', 'p', 'q'], ['bridge', 'p', '--json']]) {
      const r = await t.cli(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  });

  it('exits 1 with one line when no host can be started', async () => {
    t = await TestHome.create({ p: fixture('protocolServer.js') });
    // A folder where the token file belongs: the host cannot start (an empty file it would simply replace).
    await fs.mkdir(path.join(t.home, 'token'));
    const r = await t.cli(['bridge', 'p']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^shared-mcp: the host exited while starting: .*cannot read the client token.*\n$/);
    assert.equal(r.stdout, '');
  });
});
