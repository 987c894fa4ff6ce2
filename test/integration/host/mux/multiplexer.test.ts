import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { McpError, LoggingMessageNotificationSchema, ResourceUpdatedNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { TestHome, fixture } from '../../../helpers/hostHarness';
import { clientToken, connect, textOf } from '../../../helpers/mcpClients';
import { until } from '../../../helpers/until';

const PROTO = 'protocolServer.js';

async function call(c: Client, name: string, args: Record<string, unknown> = {}): Promise<string> {
  return textOf(await c.callTool({ name, arguments: args }));
}

describe('multiplexer: many SDK clients share one backend process', function () {
  let t: TestHome;
  let extraTools: string;
  const clients: Client[] = [];
  before(async () => {
    t = await TestHome.create({});
    extraTools = path.join(t.home, 'extra-tools.txt');
    await t.writeConfig({
      proto: fixture(PROTO, { tools: { disabled: ['crash-not-here', 'big'] }, roots: ['/tmp/shared-mcp-root'] }),
      lists: fixture(PROTO, { env: { PROTOCOL_EXTRA_TOOLS_FILE: extraTools } }),
    });
    await t.cli(['up']);
    await t.waitForState('proto', 'running');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  });
  after(async () => {
    await t.dispose();
  });
  const open = async (name: string, extra: Parameters<typeof connect>[2] = {}, endpoint = 'proto'): Promise<Client> => {
    const { client } = await connect(t, endpoint, { name, ...extra });
    clients.push(client);
    return client;
  };
  /** Waits until status shows the session of this client (names are unique per test) with a request in flight. */
  const inFlight = (name: string, server = 'proto'): Promise<unknown> => t.waitFor((st) => st.servers.some((x) => x.name === server && x.sessions.some((s) => s.client?.name === name && s.inFlight > 0)), 15_000, `${name} to have a request in flight`);

  it('gives 8 concurrent clients with colliding request ids each their own answers, and initializes the backend once', async () => {
    const cs = await Promise.all(Array.from({ length: 8 }, (_, i) => open(`c${i}`)));
    const results = await Promise.all(cs.flatMap((c, i) => Array.from({ length: 25 }, (_, j) => call(c, 'echo', { text: `${i}:${j}` }).then((r) => [r, `${i}:${j}`]))));
    for (const [got, want] of results) assert.equal(got, want);
    const seen = JSON.parse(await call(cs[0], 'seen')) as Record<string, number>;
    assert.equal(seen.initialize, 1, 'the backend saw one initialize');
    assert.equal(seen.ping, undefined, 'pings are answered by the host');
    await cs[1].ping();
    assert.equal((JSON.parse(await call(cs[0], 'seen')) as Record<string, number>).ping, undefined);
  });

  it('answers initialize from the cached result with version negotiation, and hides tasks', async () => {
    const c = await open('init');
    assert.equal(c.getServerVersion()?.name, 'protocol-fixture');
    assert.equal(c.getInstructions(), 'fixture instructions');
    const caps = c.getServerCapabilities() ?? {};
    assert.equal((caps as Record<string, unknown>).tasks, undefined);
    assert.ok(caps.tools && caps.logging && caps.resources);
    const r = await fetch(`http://127.0.0.1:${t.port}/mcp/proto`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await clientToken(t)}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } }),
    });
    assert.equal(r.status, 200);
    assert.equal(((await r.json()) as { result: { protocolVersion: string } }).result.protocolVersion, '2025-03-26');
  });

  it('routes progress only to its caller', async () => {
    const [a, b, idle] = await Promise.all([open('a'), open('b'), open('idle')]);
    const got: Record<string, string[]> = { a: [], b: [], idle: [] };
    idle.fallbackNotificationHandler = async (n) => void got.idle.push(n.method);
    await Promise.all(
      (
        [
          ['a', a],
          ['b', b],
        ] as const
      ).map(([tag, c]) => c.callTool({ name: 'slow', arguments: { tag, steps: 3, ms: 30 } }, undefined, { onprogress: (p) => void got[tag].push(String(p.message)) })),
    );
    assert.deepEqual(got.a, ['a step 1', 'a step 2', 'a step 3']);
    assert.deepEqual(got.b, ['b step 1', 'b step 2', 'b step 3']);
    assert.deepEqual(got.idle.filter((m) => m === 'notifications/progress'), []);
  });

  it("cancels only the cancelling client's call", async () => {
    const [a, b] = await Promise.all([open('cancel-a'), open('cancel-b')]);
    const before = (JSON.parse(await call(a, 'cancelled')) as unknown[]).length;
    const abort = new AbortController();
    const aCall = a.callTool({ name: 'wait', arguments: { ms: 60_000 } }, undefined, { signal: abort.signal });
    const bCall = b.callTool({ name: 'wait', arguments: { ms: 400 } });
    await inFlight('cancel-a');
    abort.abort('changed my mind');
    await assert.rejects(aCall);
    assert.equal(textOf(await bCall), 'waited');
    const cancelled = await until('the cancellation at the backend', async () => {
      const got = JSON.parse(await call(a, 'cancelled')) as unknown[];
      return got.length > before && got;
    });
    assert.equal(cancelled.length - before, 1, 'the backend got exactly one cancellation');
    assert.equal(typeof cancelled[cancelled.length - 1], 'number', 'under the host id, not the client id');
  });

  it('ref-counts subscriptions and sends updates only to subscribers', async () => {
    const [a, b, c] = await Promise.all([open('sub-a'), open('sub-b'), open('sub-c')]);
    const updates: Record<string, number> = { a: 0, b: 0, c: 0 };
    const markers: Record<string, string[]> = { a: [], b: [], c: [] };
    for (const [k, cl] of Object.entries({ a, b, c })) {
      cl.setNotificationHandler(ResourceUpdatedNotificationSchema, async () => void updates[k]++);
      cl.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => void markers[k].push(String(n.params.data)));
    }
    // Every session hears a log message; one sent after an update travels each session's stream behind it.
    const marker = async (text: string): Promise<void> => {
      await call(c, 'log', { level: 'error', text });
      await until(`the marker ${text} at every session`, () => Object.values(markers).every((m) => m.includes(text)));
    };
    const subs = async (): Promise<{ subscriptions: string[]; subscribeCalls: number; unsubscribeCalls: number }> => JSON.parse(await call(c, 'subs'));
    const base = await subs();
    await a.subscribeResource({ uri: 'fixture://x' });
    await b.subscribeResource({ uri: 'fixture://x' });
    assert.equal((await subs()).subscribeCalls - base.subscribeCalls, 1);
    await call(c, 'touch', { uri: 'fixture://x' });
    await marker('after the first touch');
    assert.deepEqual(updates, { a: 1, b: 1, c: 0 });
    await a.unsubscribeResource({ uri: 'fixture://x' });
    let s = await subs();
    assert.deepEqual([s.subscriptions, s.unsubscribeCalls - base.unsubscribeCalls], [['fixture://x'], 0]);
    await call(c, 'touch', { uri: 'fixture://x' });
    await marker('after the second touch');
    assert.deepEqual(updates, { a: 1, b: 2, c: 0 });
    await b.unsubscribeResource({ uri: 'fixture://x' });
    s = await subs();
    assert.deepEqual([s.subscriptions, s.unsubscribeCalls - base.unsubscribeCalls], [[], 1]);
  });

  it('keeps log levels per session', async () => {
    const [a, b] = await Promise.all([open('a'), open('b')]);
    const logs: Record<string, string[]> = { a: [], b: [] };
    a.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => void logs.a.push(String(n.params.data)));
    b.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => void logs.b.push(String(n.params.data)));
    await a.setLoggingLevel('debug');
    await b.setLoggingLevel('error');
    assert.equal(await call(a, 'level'), 'debug', 'the backend runs at the most verbose level asked for');
    await call(a, 'log', { level: 'info', text: 'info line' });
    await call(a, 'log', { level: 'error', text: 'error line' });
    // Each session's messages come in order: once the error line is there, the info line had its chance.
    await until('the error line at both', () => logs.a.includes('error line') && logs.b.includes('error line'));
    assert.deepEqual(logs.a, ['info line', 'error line']);
    assert.deepEqual(logs.b, ['error line']);
  });

  it('routes sampling and elicitation to the caller, and refuses sampling when two clients could be asked', async () => {
    const a = await open('samp-a', { samplingAnswer: 'from a', elicitName: 'alice' });
    const b = await open('samp-b', { samplingAnswer: 'from b' });
    assert.match(await call(a, 'sample', { prompt: 'hi' }), /from a/);
    assert.match(await call(b, 'sample', { prompt: 'hi' }), /from b/);
    assert.match(await call(a, 'elicit'), /alice/);
    const bWaits = b.callTool({ name: 'wait', arguments: { ms: 1500 } });
    await inFlight('samp-b');
    await assert.rejects(a.callTool({ name: 'sample', arguments: { prompt: 'which?' } }), (err: Error) => /cannot be routed.*per-session/.test(err.message));
    await bWaits;
  });

  it('answers roots/list from the config', async () => {
    const a = await open('a');
    assert.deepEqual(JSON.parse(await call(a, 'roots')), { roots: [{ uri: 'file:///tmp/shared-mcp-root' }] });
  });

  it('passes backend errors through unchanged (code, message, data)', async () => {
    const a = await open('a');
    await assert.rejects(a.callTool({ name: 'fail', arguments: { code: -32042, message: 'nope', data: { detail: 'kept' } } }), (err: unknown) => {
      assert.ok(err instanceof McpError);
      assert.equal(err.code, -32042);
      assert.match(err.message, /nope/);
      assert.deepEqual(err.data, { detail: 'kept' });
      return true;
    });
  });

  it('hides filtered tools from tools/list and tools/call', async () => {
    const a = await open('a');
    const names = (await a.listTools()).tools.map((x) => x.name);
    assert.ok(names.includes('echo') && !names.includes('big'));
    await assert.rejects(a.callTool({ name: 'big', arguments: { bytes: 10 } }), /Tool big not found/);
    const seen = JSON.parse(await call(a, 'seen')) as Record<string, number>;
    assert.ok(seen['tools/call'] > 0);
    const st = await t.server('proto');
    assert.equal(st.tools, 17, 'status counts the tools clients see');
  });

  it('lists sessions in status with client name, version and calls served', async () => {
    const a = await open('status-a');
    await call(a, 'echo', { text: '1' });
    await call(a, 'echo', { text: '2' });
    const st = await t.server('proto');
    const mine = st.sessions.find((s) => s.client?.name === 'status-a');
    assert.ok(mine, JSON.stringify(st.sessions));
    assert.equal(mine.client?.version, '1.2.3');
    assert.equal(mine.transport, 'streamable-http');
    assert.ok(mine.callsServed >= 2);
    const text = (await t.cli(['status'])).stdout;
    assert.match(text, /status-a 1\.2\.3/);
  });

  it('fails in-flight calls at once when the backend dies, restarts it, and every session keeps working', async () => {
    const [a, b] = await Promise.all([open('death-a'), open('death-b')]);
    const pid = Number(await call(b, 'pid'));
    const waiting = a.callTool({ name: 'wait', arguments: { ms: 60_000 } });
    await inFlight('death-a');
    const t0 = Date.now();
    process.kill(pid, 'SIGKILL');
    await assert.rejects(waiting, /stopped while handling tools\/call/);
    assert.ok(Date.now() - t0 < 5000, 'failed at once, not after a timeout');
    // Until its restart it is crashed, and a request then is answered at once with that (serverStates.test.ts).
    await t.waitFor((st) => st.servers.some((x) => x.name === 'proto' && x.state === 'running' && x.pid !== pid), 30_000, 'proto to run again');
    assert.equal(await call(a, 'echo', { text: 'after' }), 'after');
    assert.equal(await call(b, 'echo', { text: 'after b' }), 'after b');
    assert.notEqual(Number(await call(b, 'pid')), pid);
  });

  it('survives JSON lines on stdout that are not messages (null, numbers, arrays) (regression: null crashed the host)', async () => {
    const a = await open('a');
    const pid = await call(a, 'pid');
    assert.equal(await call(a, 'garbage'), 'after garbage');
    assert.equal(await call(a, 'pid'), pid);
    assert.equal((await t.status()).host?.pid !== undefined, true);
  });

  it('announces list_changed after a restart that changed the tools (regression: never sent)', async () => {
    const a = await open('a', {}, 'lists');
    let changes = 0;
    a.setNotificationHandler(ToolListChangedNotificationSchema, async () => void changes++);
    const before = (await a.listTools()).tools.length;
    await fs.writeFile(extraTools, 'brand-new-tool\n');
    await a.callTool({ name: 'crash' }).catch(() => undefined);
    await t.waitFor((st) => st.servers.some((x) => x.name === 'lists' && x.state === 'running' && x.restarts > 0), 30_000, 'lists to restart');
    await until('the list_changed', () => changes > 0, 10_000);
    assert.equal(changes, 1);
    assert.equal((await a.listTools()).tools.length, before + 1);
  });
});
