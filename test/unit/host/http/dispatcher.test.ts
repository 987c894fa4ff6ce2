import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BearerToken } from '../../../../src/host/http/bearerToken';
import { createDispatcher } from '../../../../src/host/http/dispatcher';
import { sendJson } from '../../../../src/host/http/httpUtils';
import { compileRoutes, type Route } from '../../../../src/host/http/routeTable';
import { SharedMcpError } from '../../../../src/shared/errors';

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** A real listener with the dispatcher in front of test routes. */
class Harness {
  readonly calls: string[] = [];
  readonly unexpected: unknown[] = [];
  readonly states = new Set<string>();
  private releaseReady!: () => void;
  readonly ready = new Promise<void>((r) => (this.releaseReady = r));
  server!: http.Server;
  port = 0;

  async start(routes: Route[]): Promise<void> {
    const dispatch = createDispatcher({
      routes: compileRoutes(routes),
      port: () => this.port,
      clientToken: new BearerToken('client-secret'),
      controlToken: new BearerToken('control-secret'),
      oauthStates: { has: (s) => this.states.has(s) },
      ready: () => this.ready,
      onUnexpected: (err) => this.unexpected.push(err),
    });
    this.server = http.createServer((req, res) => void dispatch(req, res));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as AddressInfo).port;
  }

  markReady(): void {
    this.releaseReady();
  }

  request(method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: this.port, method, path, headers: { host: `127.0.0.1:${this.port}`, ...headers } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

const route = (path: string, extra: Partial<Route>, calls: string[]): Route => ({
  methods: ['GET', 'POST'],
  path,
  auth: 'none',
  needsReady: false,
  errors: 'api',
  handle: ({ res, params }) => {
    calls.push(`${path} ${JSON.stringify(params)}`);
    sendJson(res, 200, { ok: true });
  },
  ...extra,
});

describe('dispatcher: DNS-rebinding check, auth policy, ready wait, handler, one error mapping', () => {
  let h: Harness;
  beforeEach(async () => {
    h = new Harness();
    await h.start([
      route('/health', { anyHost: true }, []),
      { ...route('/mcp/:server?', { auth: 'client-token', errors: 'json-rpc', needsReady: true }, []), handle: ({ res, params }) => (h.calls.push(`mcp ${params.server}`), sendJson(res, 200, { ok: true })) },
      { ...route('/api/thing', { auth: 'control-token' }, []), handle: ({ res }) => (h.calls.push('api'), sendJson(res, 200, { ok: true })) },
      // A test route only: no production route is authorized by an OAuth state yet.
      { ...route('/oauth/test-callback', { auth: 'oauth-state' }, []), handle: ({ res }) => (h.calls.push('oauth'), sendJson(res, 200, { ok: true })) },
      {
        ...route('/api/boom', { auth: 'none' }, []),
        handle: () => {
          throw new TypeError('a bug');
        },
      },
      {
        ...route('/api/refused', { auth: 'none' }, []),
        handle: () => {
          throw new SharedMcpError('SERVER_BUSY', 'busy now');
        },
      },
    ]);
    h.markReady();
  });
  afterEach(() => h.close());

  it('serves /health to any Host and says nothing; every other path checks Host and Origin first, before 404 and before the token', async () => {
    const health = await h.request('GET', '/health', { host: 'evil.example' });
    assert.equal(health.status, 200);
    assert.deepEqual(JSON.parse(health.body), { ok: true });
    const foreign = await h.request('GET', '/mcp/echo', { host: 'evil.example:80', authorization: 'Bearer client-secret' });
    assert.equal(foreign.status, 403);
    assert.equal((await h.request('GET', '/nowhere', { host: 'evil.example:80' })).status, 403, 'a foreign page learns nothing, not even 404');
    assert.equal((await h.request('GET', '/mcp/echo', { origin: 'https://evil.example', authorization: 'Bearer client-secret' })).status, 403);
    assert.deepEqual(h.calls, []);
  });

  it('answers 404 and 405 (with Allow) before asking for a token', async () => {
    const missing = await h.request('GET', '/nowhere');
    assert.equal(missing.status, 404);
    assert.deepEqual(JSON.parse(missing.body), { error: { code: 'NOT_FOUND', message: 'not found: /nowhere' } });
    const wrong = await h.request('PUT', '/mcp/echo');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.allow, 'GET, POST');
    assert.deepEqual(JSON.parse(wrong.body), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Method Not Allowed: PUT /mcp/echo (allowed: GET, POST)' } });
    assert.equal((await h.request('GET', '/mcp/%E0')).status, 400);
  });

  it('applies each route its own token: client token (401 with WWW-Authenticate, JSON-RPC body) and control token', async () => {
    const noToken = await h.request('POST', '/mcp/echo');
    assert.equal(noToken.status, 401);
    assert.match(String(noToken.headers['www-authenticate']), /^Bearer /);
    assert.equal(JSON.parse(noToken.body).error.code, -32001);
    assert.equal((await h.request('POST', '/mcp/echo', { authorization: 'Bearer control-secret' })).status, 401, 'the control token is no client token');
    assert.equal((await h.request('GET', '/api/thing', { authorization: 'Bearer client-secret' })).status, 401, 'the client token is no control token');
    const apiNoToken = await h.request('GET', '/api/thing');
    assert.deepEqual(JSON.parse(apiNoToken.body), { error: { code: 'UNAUTHORIZED', message: 'missing or wrong control token' } });
    assert.equal((await h.request('POST', '/mcp/echo', { authorization: 'Bearer client-secret' })).status, 200);
    assert.equal((await h.request('GET', '/api/thing', { authorization: 'Bearer control-secret' })).status, 200);
    assert.deepEqual(h.calls, ['mcp echo', 'api']);
  });

  it('oauth-state: authorizes by a pending state in the store, and nothing else (no token needed, none accepted)', async () => {
    h.states.add('pending-state-123');
    assert.equal((await h.request('GET', '/oauth/test-callback?code=c&state=pending-state-123')).status, 200);
    assert.equal((await h.request('GET', '/oauth/test-callback?code=c&state=other')).status, 403);
    assert.equal((await h.request('GET', '/oauth/test-callback?code=c')).status, 403);
    assert.equal((await h.request('GET', `/oauth/test-callback?state=${'x'.repeat(300)}`)).status, 403);
    assert.equal((await h.request('GET', '/oauth/test-callback', { authorization: 'Bearer control-secret' })).status, 403);
    h.states.delete('pending-state-123');
    assert.equal((await h.request('GET', '/oauth/test-callback?code=c&state=pending-state-123')).status, 403, 'a used state is gone');
    assert.deepEqual(h.calls, ['oauth']);
  });

  it('maps a SharedMcpError to its status, and anything else to 500 (reported as unexpected)', async () => {
    const busy = await h.request('GET', '/api/refused');
    assert.equal(busy.status, 503);
    assert.deepEqual(JSON.parse(busy.body), { error: { code: 'SERVER_BUSY', message: 'busy now' } });
    const bug = await h.request('GET', '/api/boom');
    assert.equal(bug.status, 500);
    assert.equal(JSON.parse(bug.body).error.code, 'INTERNAL');
    assert.equal(h.unexpected.length, 1);
    assert.ok(h.unexpected[0] instanceof TypeError);
  });

  it('closes the connection after refusing a request whose body it did not read', async () => {
    const refused = await h.request('POST', '/mcp/echo', { 'content-length': '100000' }, 'x'.repeat(10));
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.connection, 'close');
  });
});

describe('dispatcher: the ready wait', () => {
  it('holds a route that needs the host ready until start-up is done, after its auth check; others go at once', async () => {
    const h = new Harness();
    const mcp: Route = { ...route('/mcp/:server?', { auth: 'client-token', errors: 'json-rpc', needsReady: true }, h.calls) };
    const status: Route = { ...route('/api/status', { auth: 'control-token' }, h.calls) };
    await h.start([mcp, status]);
    try {
      const arrived = once(h.server, 'request');
      const waiting = h.request('POST', '/mcp/echo', { authorization: 'Bearer client-secret' });
      await arrived;
      // Not waited for: a request without the token is refused during start-up too.
      assert.equal((await h.request('POST', '/mcp/echo')).status, 401);
      assert.equal((await h.request('GET', '/api/status', { authorization: 'Bearer control-secret' })).status, 200);
      assert.deepEqual(h.calls, ['/api/status {}'], 'the MCP handler has not run before ready');
      h.markReady();
      assert.equal((await waiting).status, 200);
      assert.deepEqual(h.calls, ['/api/status {}', '/mcp/:server? {"server":"echo"}']);
    } finally {
      await h.close();
    }
  });
});
