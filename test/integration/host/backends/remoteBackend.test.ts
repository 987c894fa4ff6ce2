import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { CredentialSource } from '../../../../src/host/backends/credentialSource';
import type { JsonRpcMessage } from '../../../../src/host/backends/jsonRpc';
import { REMOTE_ERROR_TEXT_CHARS } from '../../../../src/host/backends/postFailure';
import { RemoteBackend } from '../../../../src/host/backends/remoteBackend';
import { Redactor } from '../../../../src/host/logs/redactor';
import { RotatingFile } from '../../../../src/host/logs/rotatingFile';
import { ServerLog } from '../../../../src/host/logs/serverLog';
import { parseConfig } from '../../../../src/shared/config/loadConfig';
import { Emitter } from '../../../../src/shared/emitter';
import { ProtectedRemote } from '../../../helpers/protectedRemote';
import { until } from '../../../helpers/until';
import { Deferred } from '../../../helpers/fakeOpener';

/**
 * A real remote (the SDK's Server, answering each POST with JSON, as stateless servers do) whose tool holds its
 * answer until released: the HTTP request of every call stays open while the server "works".
 */
class SlowJsonRemote {
  received = 0;
  private readonly released = new Deferred<void>();
  private readonly transports = new Map<string, StreamableHTTPServerTransport>();

  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<SlowJsonRemote> {
    let remote: SlowJsonRemote | undefined;
    const server = http.createServer((req, res) => {
      remote?.handle(req, res).catch((err: unknown) => void (res.headersSent || res.writeHead(500).end(String(err))));
    });
    remote = new SlowJsonRemote(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return remote;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/mcp`;
  }

  /** Every held call is answered now, and later ones at once. */
  releaseNow(): void {
    this.released.resolve();
  }

  async close(): Promise<void> {
    this.releaseNow();
    await Promise.all([...this.transports.values()].map((t) => t.close().catch(() => undefined)));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown) : undefined;
    let transport = this.transports.get(String(req.headers['mcp-session-id']));
    if (!transport) {
      const created = new StreamableHTTPServerTransport({ sessionIdGenerator: () => randomUUID(), enableJsonResponse: true, onsessioninitialized: (id) => void this.transports.set(id, created) });
      const server = new Server({ name: 'slow-json', version: '1.0.0' }, { capabilities: { tools: {} } });
      server.setRequestHandler(CallToolRequestSchema, async () => {
        this.received++;
        await this.released.promise;
        return { content: [{ type: 'text' as const, text: 'done' }] };
      });
      await server.connect(created);
      transport = created;
    }
    await transport.handleRequest(req, res, body);
  }
}

const DEEP = 6000;
const deepJson = (): string => '{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP);

describe('RemoteBackend (a real protected Streamable HTTP server)', function () {
  this.timeout(20_000);
  let dir: string;
  let log: ServerLog;
  let remote: ProtectedRemote;
  let backend: RemoteBackend | undefined;
  let token: string;
  let refusals: string[];
  let redactor: Redactor;
  const credentials: CredentialSource = { headers: () => Promise.resolve({ Authorization: `Bearer ${token}` }), hint: 'set a new token, then try again' };

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-remote-'));
    // The tokens are the host's secrets: known to the redactor, as in the host.
    redactor = new Redactor();
    redactor.addSource({ values: () => ['first-token-1a2b3c4d', 'second-token-5e6f7a8b'], onDidChange: new Emitter<void>().event });
    log = new ServerLog(new RotatingFile(path.join(dir, 'server.log')), { redactor });
    remote = await ProtectedRemote.start(['first-token-1a2b3c4d', 'second-token-5e6f7a8b']);
    token = 'first-token-1a2b3c4d';
    refusals = [];
  });
  afterEach(async () => {
    await backend?.close();
    backend = undefined;
    await remote.close();
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function connect(): Promise<RemoteBackend> {
    const def = parseConfig(JSON.stringify({ mcpServers: { api: { type: 'http', url: remote.url } } }), path.join(dir, 'config.jsonc')).servers[0];
    backend = await RemoteBackend.connect(def, {
      credentials,
      init: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } },
      timeoutMs: 10_000,
      log,
      signal: new AbortController().signal,
      limits: () => def,
      onNeedsAuth: (reason) => refusals.push(reason),
      redact: (text) => redactor.redact(text),
    });
    return backend;
  }

  /** Sends a request through the mux's path (send + attach) and resolves with its answer. */
  function call(b: RemoteBackend, answers: Map<unknown, (m: JsonRpcMessage) => void>, id: number, name: string): Promise<JsonRpcMessage> {
    return new Promise((resolve) => {
      answers.set(id, resolve);
      b.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { text: name } } });
    });
  }

  function attach(b: RemoteBackend): Map<unknown, (m: JsonRpcMessage) => void> {
    const answers = new Map<unknown, (m: JsonRpcMessage) => void>();
    b.attach((m) => answers.get(m.id)?.(m));
    return answers;
  }

  it('asks the credential source on every request: a changed token is used by the next request, without reconnecting', async () => {
    const b = await connect();
    await b.request('tools/list', {}, 5000);
    token = 'second-token-5e6f7a8b';
    await b.request('tools/list', {}, 5000);
    assert.deepEqual(remote.authorizationsOf('tools/list'), ['Bearer first-token-1a2b3c4d', 'Bearer second-token-5e6f7a8b']);
    assert.equal(remote.initializeCount, 1, 'one initialize: no reconnect');
    const sessions = new Set(remote.seen.filter((s) => s.rpcMethod === 'tools/list').map((s) => s.session));
    assert.equal(sessions.size, 1, 'the same MCP session');
  });

  it('answers what is in flight with NEEDS_AUTH when the token is refused after initialize, and says so once', async () => {
    const b = await connect();
    const answers = attach(b);
    assert.equal((await call(b, answers, 1, 'echo')).error, undefined);
    remote.deny = { status: 401, challenge: 'Bearer error="invalid_token", error_description="expired", resource_metadata="http://127.0.0.1/.well-known/oauth-protected-resource/mcp"' };
    const [first, second] = await Promise.all([call(b, answers, 2, 'echo'), call(b, answers, 3, 'echo')]);
    for (const answer of [first, second]) {
      assert.match(answer.error?.message ?? '', /^server "api" needs sign-in: the server refused the credentials \(HTTP 401, invalid_token\); set a new token, then try again$/);
      assert.equal((answer.error?.data as { code?: string }).code, 'NEEDS_AUTH');
    }
    assert.equal(refusals.length, 1, 'the supervisor hears of it once');
    const after = await call(b, answers, 4, 'echo');
    assert.equal((after.error?.data as { code?: string }).code, 'NEEDS_AUTH', 'a request after the refusal is answered at once');
  });

  it('close() fires onDidExit once, as every end of a backend does (regression: a closed per-session remote stayed current)', async () => {
    const b = await connect();
    const exits: string[] = [];
    b.onDidExit((reason) => exits.push(reason));
    await b.close();
    await b.close();
    assert.deepEqual(exits, ['closed by the host']);
  });

  it('refuses, for its caller alone, a message over the server\'s maxMessageSize; one that cannot be serialized; both send nothing', async () => {
    const b = await connect();
    const before = remote.seen.length;
    const big = { jsonrpc: '2.0' as const, id: 9, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x'.repeat(11 * 1024 * 1024) } } };
    assert.throws(() => b.send(big), (e: Error & { code?: string }) => e.code === 'PAYLOAD_TOO_LARGE' && /resourceLimits\.maxMessageSize/.test(e.message));
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    assert.throws(() => b.send({ jsonrpc: '2.0', id: 10, method: 'tools/call', params: circular }), (e: Error & { code?: string }) => e.code === 'PARSE_ERROR');
    assert.equal(remote.seen.length, before, 'nothing reached the server');
    const answers = attach(b);
    assert.equal((await call(b, answers, 11, 'echo')).error, undefined, 'the connection is unharmed');
  });

  it('counts a request towards maxQueueSize only until its body is sent, not while the server works on it (regression: SERVER_BUSY for slow large calls)', async () => {
    const slow = await SlowJsonRemote.start();
    try {
      const def = parseConfig(JSON.stringify({ mcpServers: { slow: { type: 'http', url: slow.url, resourceLimits: { maxQueueSize: '4M' } } } }), path.join(dir, 'config.jsonc')).servers[0];
      backend = await RemoteBackend.connect(def, { credentials, init: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } }, timeoutMs: 10_000, log, signal: new AbortController().signal, limits: () => def, onNeedsAuth: () => undefined });
      const b = backend;
      const answers = attach(b);
      const text = 'x'.repeat(3 * 1024 * 1024);
      const calls: Array<Promise<JsonRpcMessage>> = [];
      // Each 3 MB call is sent once the one before reached the server (which holds every answer): 6 MB would be over the cap.
      for (let id = 1; id <= 3; id++) {
        calls.push(new Promise((resolve) => answers.set(id, resolve)));
        b.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'hold', arguments: { text } } });
        await until(`call ${id} to reach the server`, () => slow.received >= id);
      }
      slow.releaseNow();
      for (const answer of await Promise.all(calls)) assert.equal(answer.error, undefined, JSON.stringify(answer.error));
    } finally {
      await backend?.close();
      backend = undefined;
      await slow.close();
    }
  });

  it('turns an answer nested 6,000 deep into an error for its caller', async () => {
    remote.raw.set('deep', (id) => `{"jsonrpc":"2.0","id":${id},"result":{"content":[],"structuredContent":${deepJson()}}}`);
    const b = await connect();
    const answers = attach(b);
    const answer = await call(b, answers, 21, 'deep');
    assert.match(answer.error?.message ?? '', /nested deeper than 512 levels/);
    assert.equal((await call(b, answers, 22, 'echo')).error, undefined, 'the connection is unharmed');
    assert.ok(log.tail().some((l) => /dropped the server's answer to request 21/.test(l.text)));
  });

  it('tells the caller what the remote answered a failed POST with, redacted, on one line, cut (regression: the Authorization header reached the client)', async () => {
    remote.failWith.set('reflect', (authorization) => ({ status: 400, body: `invalid request for ${authorization}\n<html>${'x'.repeat(2000)}</html>` }));
    const b = await connect();
    const answers = attach(b);
    const answer = await call(b, answers, 31, 'reflect');
    const message = answer.error?.message ?? '';
    assert.ok(!JSON.stringify(answer).includes(token), message.slice(0, 200));
    assert.match(message, /^the remote answered HTTP 400: invalid request for Bearer \[redacted\]\\n<html>x+…$/);
    assert.equal(message.length, 'the remote answered HTTP 400: '.length + REMOTE_ERROR_TEXT_CHARS + 1);
    assert.ok(log.tail().some((l) => l.text.startsWith('sending to the server failed: the remote answered HTTP 400: invalid request for Bearer [redacted]')));
    assert.ok(!log.tail().some((l) => l.text.includes(token)));
    assert.equal((await call(b, answers, 32, 'echo')).error, undefined, 'the connection is unharmed');
  });

  it("redacts the remote's WWW-Authenticate words in the caller's error, its data and the refusal (a header may echo the credentials)", async () => {
    const b = await connect();
    const answers = attach(b);
    remote.deny = { status: 403, challenge: `Bearer error="insufficient_scope ${token}", scope="read ${token}", resource_metadata="http://127.0.0.1/${token}"` };
    const answer = await call(b, answers, 41, 'echo');
    assert.equal((answer.error?.data as { code?: string }).code, 'NEEDS_AUTH');
    assert.match(answer.error?.message ?? '', /needs scope|asks for more scope: "read \[redacted\]"/);
    assert.ok(!JSON.stringify(answer).includes(token), JSON.stringify(answer));
    assert.equal(refusals.length, 1);
    assert.ok(!refusals[0].includes(token), refusals[0]);
  });
});
