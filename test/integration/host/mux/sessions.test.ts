import { strict as assert } from 'node:assert';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TestHome, fixture } from '../../../helpers/hostHarness';
import { clientToken, connect, textOf } from '../../../helpers/mcpClients';
import { until } from '../../../helpers/until';

const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };

/** A raw POST to the host, for what SDK clients never send. */
async function post(t: TestHome, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: string; session: string | null }> {
  const r = await fetch(`http://127.0.0.1:${t.port}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${await clientToken(t)}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: r.status, body: await r.text(), session: r.headers.get('mcp-session-id') };
}

describe('sessions: durability, limits and security on /mcp/<server>', function () {
  let t: TestHome | undefined;
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await t?.dispose();
    t = undefined;
  });

  it('keeps serving the same client object, under its old session id, after the host restarts', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    await t.cli(['up']);
    const { client, transport } = await connect(t, 'echo');
    clients.push(client);
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'before' } })), 'before');
    const id = (transport as StreamableHTTPClientTransport).sessionId;
    assert.ok(id);
    assert.equal((await t.cli(['down', '--host'])).code, 0);
    assert.equal((await t.cli(['up'])).code, 0);
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'after' } })), 'after');
    assert.equal((transport as StreamableHTTPClientTransport).sessionId, id);
    const st = await t.server('echo');
    assert.equal(st.sessions.length, 1);
    assert.equal(st.sessions[0].client?.name, 'test-client', 'the resumed session keeps its client info');
  });

  it('opens a new session for an initialize with a stale session id, and answers 404 to an unknown one', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    await t.cli(['up']);
    const fresh = await post(t, '/mcp/echo', INIT, { 'mcp-session-id': 'stale-id-from-before' });
    assert.equal(fresh.status, 200);
    assert.ok(fresh.session && fresh.session !== 'stale-id-from-before');
    const unknown = await post(t, '/mcp/echo', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': 'nope' });
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.body).error.message, 'Session not found');
    const missing = await post(t, '/mcp/echo', { jsonrpc: '2.0', id: 1, method: 'tools/list' });
    assert.equal(missing.status, 400);
    const listed = await post(t, '/mcp/echo', { jsonrpc: '2.0', id: 7, method: 'tools/list' }, { 'mcp-session-id': fresh.session });
    assert.equal(JSON.parse(listed.body).id, 7);
    const del = await fetch(`http://127.0.0.1:${t.port}/mcp/echo`, { method: 'DELETE', headers: { authorization: `Bearer ${await clientToken(t)}`, 'mcp-session-id': fresh.session } });
    assert.equal(del.status, 200);
    assert.equal((await post(t, '/mcp/echo', { jsonrpc: '2.0', id: 8, method: 'tools/list' }, { 'mcp-session-id': fresh.session })).status, 404);
  });

  it('releases idle sessions after sessionIdleTimeout and resumes them on their next request', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') }, { sessionIdleTimeout: '1s' });
    await t.cli(['up']);
    const s = await post(t, '/mcp/echo', INIT);
    await t.waitFor((st) => st.servers[0].sessions.length === 0, 10_000, 'the idle session to be released');
    const again = await post(t, '/mcp/echo', { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'back' } } }, { 'mcp-session-id': s.session as string });
    assert.equal(again.status, 200);
    assert.equal(JSON.parse(again.body).result.content[0].text, 'back');
  });

  it('caps the number of sessions', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') }, { maxSessions: 2 });
    await t.cli(['up']);
    assert.equal((await post(t, '/mcp/echo', INIT)).status, 200);
    assert.equal((await post(t, '/mcp/echo', INIT)).status, 200);
    const third = await post(t, '/mcp/echo', INIT);
    assert.equal(third.status, 503);
    assert.match(JSON.parse(third.body).error.message, /too many open sessions/);
  });

  it('rejects a missing or wrong token (401), a foreign Host or Origin (403), bad Accept (406) and Content-Type (415)', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    await t.cli(['up']);
    const url = `http://127.0.0.1:${t.port}/mcp/echo`;
    const base = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const body = JSON.stringify(INIT);
    const noToken = await fetch(url, { method: 'POST', headers: base, body });
    assert.equal(noToken.status, 401);
    assert.match(noToken.headers.get('www-authenticate') ?? '', /Bearer/);
    assert.equal((await fetch(url, { method: 'POST', headers: { ...base, authorization: 'Bearer wrong' }, body })).status, 401);
    assert.equal((await fetch(`http://127.0.0.1:${t.port}/sse/echo`, { headers: { accept: 'text/event-stream' } })).status, 401);
    assert.equal((await post(t, '/mcp/echo', INIT, { origin: 'http://evil.example' })).status, 403);
    assert.equal((await post(t, '/mcp/echo', INIT, { accept: 'application/json' })).status, 406);
    assert.equal((await post(t, '/mcp/echo', INIT, { 'content-type': 'text/plain' })).status, 415);
    assert.equal((await post(t, '/mcp/nosuch', INIT)).status, 404);
    // fetch cannot set Host: use a raw request.
    const http = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: t?.port, path: '/mcp/echo', method: 'POST', headers: { ...base, host: 'evil.example:80' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(body);
    });
    assert.equal(status, 403);
  });

  it('round-trips a 10 MB message under the default cap; over a lower cap it gets an error and the backend lives on', async () => {
    // The fixture reads lines of any size: it may take more than the 10 MiB default towards servers.
    t = await TestHome.create({ proto: fixture('protocolServer.js', { resourceLimits: { maxMessageSize: '32M' } }) });
    await t.cli(['up']);
    const { client } = await connect(t, 'proto');
    clients.push(client);
    const tenMb = 'x'.repeat(10 * 1024 * 1024);
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: tenMb } })).length, tenMb.length);
    await client.close();
    clients.length = 0;
    await t.cli(['down', '--host']);
    await t.writeConfig({ proto: fixture('protocolServer.js') }, { maxMessageSize: '1M' });
    await t.cli(['up']);
    const { client: small } = await connect(t, 'proto');
    clients.push(small);
    const pid = textOf(await small.callTool({ name: 'pid' }));
    await assert.rejects(small.callTool({ name: 'echo', arguments: { text: tenMb } }), /over the host's cap/);
    await assert.rejects(small.callTool({ name: 'big', arguments: { bytes: 2 * 1024 * 1024 } }), /over the host's cap/);
    assert.equal(textOf(await small.callTool({ name: 'pid' })), pid, 'the shared backend survived both');
  });
});

describe('sessions that end while work is open', function () {
  let t: TestHome | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('answers an open POST with a JSON-RPC error when its session is deleted (regression: empty 200)', async () => {
    t = await TestHome.create({ proto: fixture('protocolServer.js') });
    await t.cli(['up']);
    const s = await post(t, '/mcp/proto', INIT);
    const open = post(t, '/mcp/proto', { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'wait', arguments: { ms: 60_000 } } }, { 'mcp-session-id': s.session as string });
    await t.waitFor((st) => st.servers[0].sessions.some((x) => x.inFlight === 1), 15_000, 'the call in flight');
    await fetch(`http://127.0.0.1:${t.port}/mcp/proto`, { method: 'DELETE', headers: { authorization: `Bearer ${await clientToken(t)}`, 'mcp-session-id': s.session as string } });
    const answer = await open;
    assert.equal(answer.status, 200);
    const body = JSON.parse(answer.body) as { id: number; error: { message: string } };
    assert.equal(body.id, 5);
    assert.match(body.error.message, /session ended/);
  });

  it('does not keep a session (or its process) for an initialize the client gave up on (regression)', async () => {
    t = await TestHome.create({ slow: fixture('protocolServer.js', { sharing: 'per-session', env: { PROTOCOL_INIT_DELAY_MS: '1500' } }) });
    await t.cli(['up']);
    const host = t.processes();
    const abort = new AbortController();
    const attempt = fetch(`http://127.0.0.1:${t.port}/mcp/slow`, {
      method: 'POST',
      signal: abort.signal,
      headers: { authorization: `Bearer ${await clientToken(t)}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify(INIT),
    });
    // Given up while the session's own process is starting (it takes 1.5 s to answer initialize).
    const own = await until('the session’s process to start', () => t?.processes().find((pid) => !host.includes(pid)));
    abort.abort();
    await assert.rejects(attempt);
    await until('the session’s process to be stopped', () => !t?.processes().includes(own), 15_000);
    const st = await t.server('slow');
    assert.deepEqual(st.sessions, []);
  });

  it('never answers 404 to a known session while a restarted host is still cleaning up (regression)', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js'), stubborn: fixture('stubbornServer.js') }, { stopGrace: '2s' });
    await t.cli(['up']);
    await t.waitFor((st) => st.servers.every((x) => x.state === 'running'), 30_000, 'servers running');
    const s = await post(t, '/mcp/echo', INIT);
    await until('the session on disk', async () => (await fs.readFile(path.join(t?.home as string, 'state', 'sessions.json'), 'utf8').catch(() => '')).includes(s.session as string));
    const reg = await t.registry();
    process.kill(reg?.pid as number, 'SIGKILL');
    const up = t.cli(['up']);
    const seen: number[] = [];
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      const r = await post(t, '/mcp/echo', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': s.session as string }).catch(() => undefined);
      if (r) seen.push(r.status);
      if (r?.status === 200) break;
      await new Promise((res) => setTimeout(res, 50));
    }
    await up;
    assert.equal(seen[seen.length - 1], 200);
    assert.ok(!seen.includes(404), `statuses seen: ${seen.join(',')}`);
  });
});

describe('a cancelled request over Streamable HTTP', function () {
  let t: TestHome | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('ends its POST without an answer instead of holding it open for ever (regression)', async () => {
    t = await TestHome.create({ proto: fixture('protocolServer.js') });
    await t.cli(['up']);
    const s = await post(t, '/mcp/proto', INIT);
    const headers = { 'mcp-session-id': s.session as string };
    const open = post(t, '/mcp/proto', { jsonrpc: '2.0', id: 9, method: 'tools/call', params: { name: 'wait', arguments: { ms: 60_000 } } }, headers);
    await t.waitFor((st) => st.servers[0].sessions.some((x) => x.inFlight === 1), 15_000, 'the call in flight');
    const cancel = await post(t, '/mcp/proto', { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 9, reason: 'no longer needed' } }, headers);
    assert.equal(cancel.status, 202);
    const answer = await open;
    assert.equal(answer.status, 200);
    assert.equal(answer.body.includes('"id":9'), false, 'no response for a cancelled request');
  });
});
