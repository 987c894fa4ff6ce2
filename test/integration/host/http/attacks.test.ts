import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { TestHome, fixture } from '../../../helpers/hostHarness';
import { clientToken } from '../../../helpers/mcpClients';
import { until } from '../../../helpers/until';
import { INIT, mcpPost, raw } from './rawHttp';

function nested(depth: number): unknown {
  let v: unknown = {};
  for (let i = 0; i < depth; i++) v = { v };
  return v;
}

/** JSON text nested `depth` deep, built as text: JSON.stringify itself overflows the stack on it. */
function nestedText(depth: number): string {
  return `${'{"v":'.repeat(depth)}{}${'}'.repeat(depth)}`;
}

const list = (id: number): unknown => ({ jsonrpc: '2.0', id, method: 'tools/list' });

/** Polls a file until the predicate holds (sessions.json is written by the host in its own time). */

async function health(t: TestHome): Promise<number> {
  return (await raw(t, 'GET', '/health', {})).status;
}

/** A legacy HTTP+SSE session, read as raw events. */
class LegacyStream {
  private buffer = '';
  private waiters: Array<() => void> = [];
  private constructor(private readonly res: http.IncomingMessage) {
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      this.buffer += d;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static open(t: TestHome, token: string): Promise<LegacyStream> {
    return new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: t.port, path: '/sse/echo', headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, agent: false }, (res) => resolve(new LegacyStream(res))).on('error', reject);
    });
  }

  /** Resolves with the buffer once it holds what the predicate looks for. */
  async until(pred: (text: string) => boolean): Promise<string> {
    while (!pred(this.buffer)) await new Promise<void>((r) => this.waiters.push(r));
    return this.buffer;
  }

  close(): void {
    this.res.destroy();
  }
}

describe('attacks on the HTTP front (real host, raw HTTP)', function () {
  let t: TestHome;
  before(async () => {
    t = await TestHome.started({ echo: fixture('protocolServer.js') });
  });
  after(() => t.dispose());

  it('attack 8: tools/call with arguments nested 6,000 deep gets a clear 400, and leaves nothing in flight (regression: HTTP 500, inFlight leaked)', async () => {
    const init = await mcpPost(t, '/mcp/echo', INIT);
    const headers = { 'mcp-session-id': String(init.session) };
    const deep = await mcpPost(t, '/mcp/echo', `{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"echo","arguments":{"text":${nestedText(6000)}}}}`, headers);
    assert.equal(deep.status, 400, deep.body);
    assert.deepEqual(JSON.parse(deep.body), { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error: JSON nested deeper than 512 levels' } });
    const ok = await mcpPost(t, '/mcp/echo', { jsonrpc: '2.0', id: 6, method: 'tools/call', params: { name: 'echo', arguments: { text: 'still here' } } }, headers);
    assert.equal(JSON.parse(ok.body).result.content[0].text, 'still here');
    const session = (await t.server('echo')).sessions.find((s) => String(init.session).startsWith(s.id));
    assert.equal(session?.inFlight, 0);
  });

  it('attack 3: an initialize with a clientInfo nested deep is refused before it is stored; sessions.json keeps being written and the host stops (regression: wedged)', async () => {
    const clientInfo = `{"name":"x","version":"1","more":${nestedText(6000)}}`;
    const deepest = await mcpPost(t, '/mcp/echo', `{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":${clientInfo}}}`);
    assert.equal(deepest.status, 400);
    assert.equal(JSON.parse(deepest.body).error.code, -32700);
    const deep = await mcpPost(t, '/mcp/echo', { ...INIT, id: 'i', params: { ...INIT.params, clientInfo: { name: 'x', version: '1', more: nested(100) } } });
    assert.equal(deep.status, 400);
    assert.deepEqual(JSON.parse(deep.body), { jsonrpc: '2.0', id: 'i', error: { code: -32602, message: 'Invalid params: initialize: params are nested deeper than 32 levels' } });
    const long = await mcpPost(t, '/mcp/echo', { ...INIT, params: { ...INIT.params, clientInfo: { name: 'n'.repeat(300), version: '1' } } });
    assert.equal(JSON.parse(long.body).error.code, -32602);
    assert.equal(long.session, undefined);
    const good = await mcpPost(t, '/mcp/echo', INIT);
    assert.equal(good.status, 200);
    await until('the good session in state/sessions.json', async () => (await fs.readFile(path.join(t.home, 'state', 'sessions.json'), 'utf8').catch(() => '')).includes(String(good.session)), 10_000);
    const down = await t.cli(['down', '--host'], 30_000);
    assert.equal(down.code, 0, down.stderr);
    assert.equal((await t.cli(['up'])).code, 0);
  });

  it('attack 3 over legacy HTTP+SSE: the bad initialize gets its error down the stream, and a good one after it works', async () => {
    const token = await clientToken(t);
    const stream = await LegacyStream.open(t, token);
    try {
      const endpoint = /event: endpoint\ndata: (\S+)\n/.exec(await stream.until((b) => b.includes('event: endpoint')))?.[1] as string;
      const post = (body: unknown): Promise<unknown> => raw(t, 'POST', endpoint, { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, JSON.stringify(body));
      await post({ ...INIT, id: 'bad', params: { ...INIT.params, clientInfo: { name: 'x', version: '1', more: nested(100) } } });
      const afterBad = await stream.until((b) => b.includes('"id":"bad"'));
      assert.match(afterBad, /"id":"bad","error":\{"code":-32602,"message":"Invalid params: initialize: params are nested deeper than 32 levels"\}/);
      await post({ ...INIT, id: 'good' });
      assert.match(await stream.until((b) => b.includes('"id":"good"')), /"id":"good","result":\{/);
    } finally {
      stream.close();
    }
  });

  it('attack 2: refuses a batch of more than 1000 messages with one error; the 3.9 MB batch of 80,000 tools/list is answered at once', async () => {
    const init = await mcpPost(t, '/mcp/echo', INIT);
    const headers = { 'mcp-session-id': String(init.session) };
    const over = await mcpPost(t, '/mcp/echo', Array.from({ length: 1001 }, (_, i) => list(i)), headers);
    assert.equal(over.status, 400);
    assert.deepEqual(JSON.parse(over.body), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: a batch of 1001 messages; the host takes at most 1000 in one POST' } });
    const body = JSON.stringify(Array.from({ length: 80_000 }, (_, i) => list(i)));
    assert.ok(body.length > 3_800_000);
    const started = Date.now();
    const flood = await mcpPost(t, '/mcp/echo', body, headers);
    assert.equal(flood.status, 400);
    assert.match(JSON.parse(flood.body).error.message, /a batch of 80000 messages/);
    assert.ok(Date.now() - started < 30_000, `answered in ${Date.now() - started} ms`);
    const within = await mcpPost(t, '/mcp/echo', Array.from({ length: 1000 }, (_, i) => list(i)), headers);
    assert.equal((JSON.parse(within.body) as unknown[]).length, 1000);
    assert.equal(await health(t), 200);
  });
});

describe("attack 2: a batch's combined answer stays under settings.maxMessageSize (real host)", function () {
  let t: TestHome;
  before(async () => {
    t = await TestHome.create({ echo: fixture('protocolServer.js') }, { maxMessageSize: '64K' });
    await t.cli(['up']);
    await t.waitForState('echo', 'running');
  });
  after(() => t.dispose());

  it('answers every request of the batch, the ones that do not fit with a short error (regression: one string of any size)', async () => {
    const init = await mcpPost(t, '/mcp/echo', INIT);
    const answer = await mcpPost(t, '/mcp/echo', Array.from({ length: 200 }, (_, i) => list(i)), { 'mcp-session-id': String(init.session) });
    assert.equal(answer.status, 200);
    assert.ok(Buffer.byteLength(answer.body) <= 64 * 1024, `${Buffer.byteLength(answer.body)} bytes`);
    const messages = JSON.parse(answer.body) as Array<{ id: number; result?: unknown; error?: { message: string } }>;
    assert.deepEqual(messages.map((m) => m.id).sort((a, b) => a - b), [...Array(200).keys()]);
    assert.ok(messages.some((m) => m.result) && messages.some((m) => m.error), 'some answered, the rest refused');
    assert.match(String(messages.find((m) => m.error)?.error?.message), /over the host's cap of 65536 bytes/);
  });

  it('refuses a batch whose errors alone would be over the cap, before serving any of it', async () => {
    const init = await mcpPost(t, '/mcp/echo', INIT);
    const answer = await mcpPost(t, '/mcp/echo', Array.from({ length: 1000 }, (_, i) => list(i)), { 'mcp-session-id': String(init.session) });
    assert.equal(answer.status, 400);
    assert.match(JSON.parse(answer.body).error.message, /the answers to a batch of 1000 requests cannot fit in the host's cap of 65536 bytes/);
  });
});
