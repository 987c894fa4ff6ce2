import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { ControlClient } from '../../../src/client/controlClient';
import type { HostEvent } from '../../../src/shared/controlTypes';
import { ROOT, TestHome, freePort } from '../../helpers/hostHarness';
import { connect, textOf } from '../../helpers/mcpClients';
import { ProtectedRemote } from '../../helpers/protectedRemote';

const EVERYTHING = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');

/** server-everything serving HTTP itself (streamableHttp or sse) on a free port: a real remote MCP server. */
async function remoteEverything(mode: 'streamableHttp' | 'sse', port: number, started: ChildProcess[]): Promise<ChildProcess> {
  const child = spawn(process.execPath, [EVERYTHING, mode], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  started.push(child); // before waiting: a start that times out is still cleaned up
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server-everything ${mode} did not start`)), 15_000);
    child.stderr?.on('data', (d: Buffer) => {
      if (/listening|running/i.test(d.toString())) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return child;
}

function killGroup(child: ChildProcess | undefined): void {
  try {
    if (child?.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('remote servers (real HTTP servers)', function () {
  let t: TestHome | undefined;
  const remotes: ChildProcess[] = [];
  let unauthorized: http.Server | undefined;
  let remote: ProtectedRemote | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
    remotes.splice(0).forEach(killGroup);
    unauthorized?.close();
    unauthorized = undefined;
    await remote?.close();
    remote = undefined;
  });

  it('connects to Streamable HTTP and legacy SSE remotes, and falls back to SSE when a url only speaks SSE', async () => {
    const [httpPort, ssePort] = [await freePort(), await freePort()];
    await remoteEverything('streamableHttp', httpPort, remotes);
    await remoteEverything('sse', ssePort, remotes);
    t = await TestHome.create({
      streamable: { type: 'http', url: `http://127.0.0.1:${httpPort}/mcp` },
      legacy: { type: 'sse', url: `http://127.0.0.1:${ssePort}/sse` },
      fallback: { url: `http://127.0.0.1:${ssePort}/sse` },
    });
    const up = await t.cli(['up']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    const st = await t.status();
    for (const s of st.servers) {
      assert.equal(s.state, 'running', `${s.name}: ${s.lastError}`);
      assert.equal(s.pid, null);
      assert.equal(s.serverInfo?.name, 'mcp-servers/everything');
    }
    assert.deepEqual(st.servers.map((s) => s.transport), ['http', 'sse', 'http']);
    const logs = await t.cli(['logs', 'fallback']);
    assert.match(logs.stdout, /trying legacy SSE/);
  });

  it('marks a remote that answers 401 needs-auth, without retrying', async () => {
    unauthorized = http.createServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="test"' });
      res.end();
    });
    const port = await freePort();
    await new Promise<void>((r) => unauthorized?.listen(port, '127.0.0.1', () => r()));
    t = await TestHome.create({ locked: { url: `http://127.0.0.1:${port}/mcp`, autoStart: false } });
    await t.cli(['up']);
    const events: HostEvent[] = [];
    const sub = new ControlClient((await t.registry())!).events((e) => events.push(e), () => undefined);
    try {
      await t.cli(['up', 'locked']);
      const s = await t.waitForState('locked', 'needs-auth', 15_000);
      assert.match(s.lastError ?? '', /^server "locked" needs sign-in: the server refused the credentials \(HTTP 401\)/);
      await t.waitFor(() => events.some((e) => e.type === 'server-state' && e.state === 'needs-auth'), 10_000, 'the needs-auth event');
      // A retry is only ever scheduled from `crashed`: a server that went straight to needs-auth has none waiting.
      const path = events.flatMap((e) => (e.type === 'server-state' && e.server === 'locked' ? [e.state] : []));
      assert.deepEqual(path, ['starting', 'needs-auth']);
      assert.equal((await t.server('locked')).restarts, 0);
    } finally {
      sub.dispose();
    }
  });

  it('a remote that answers 401 or 403 after initialize goes needs-auth with the reason and the scope; the caller is told to sign in (regression)', async () => {
    remote = await ProtectedRemote.start(['good-token-7f3a9c2e']);
    t = await TestHome.create({ api: { type: 'http', url: remote.url, headers: { Authorization: 'Bearer ${secret:API_TOKEN}' } } });
    await t.cli(['up']);
    const c = new ControlClient((await t.registry())!);
    await c.setSecrets({ set: { API_TOKEN: 'good-token-7f3a9c2e' } });
    await t.waitForState('api', 'running');
    const { client } = await connect(t, 'api');
    try {
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'hi' } })), 'hi');

      // A tool that needs more scope than the token has.
      const scoped = await client.callTool({ name: 'admin', arguments: {} }).then(() => undefined, (e: unknown) => e);
      assert.ok(scoped instanceof McpError, `an error answer, got ${String(scoped)}`);
      assert.match(scoped.message, /server "api" needs sign-in: the server asks for more scope: "admin:write read" \(HTTP 403, insufficient_scope\)/);
      assert.match(scoped.message, /shared-mcp secret set API_TOKEN/, 'it says what to do');
      assert.deepEqual(scoped.data, { code: 'NEEDS_AUTH', status: 403, error: 'insufficient_scope', scope: 'admin:write read' });
      let s = await t.waitForState('api', 'needs-auth');
      assert.match(s.lastError ?? '', /scope: "admin:write read"/);

      // A new token: the server runs again; then the token expires mid-session.
      remote.tokens.add('second-token-c81d0e6f');
      await c.setSecrets({ set: { API_TOKEN: 'second-token-c81d0e6f' } });
      await t.waitForState('api', 'running');
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'again' } })), 'again');
      remote.deny = { status: 401, challenge: 'Bearer error="invalid_token", error_description="The access token expired"' };
      const expired = await client.callTool({ name: 'echo', arguments: { text: 'late' } }).then(() => undefined, (e: unknown) => e);
      assert.ok(expired instanceof McpError, `an error answer, got ${String(expired)}`);
      assert.match(expired.message, /server "api" needs sign-in: the server refused the credentials \(HTTP 401, invalid_token\)/);
      assert.doesNotMatch(expired.message, /could not be reached/);
      s = await t.waitForState('api', 'needs-auth');
      assert.match(s.lastError ?? '', /HTTP 401, invalid_token/);
      assert.equal(s.restarts, 0, 'no retry against a refusing server');
      const later = await client.callTool({ name: 'echo', arguments: { text: 'later' } }).then(() => undefined, (e: unknown) => e);
      assert.match(String((later as Error)?.message), /needs-auth|needs sign-in/, 'later calls hear of it too');
      const shown = JSON.stringify(await t.status()) + (await t.cli(['logs', 'api', '-n', '200'])).stdout;
      assert.ok(!shown.includes('good-token-7f3a9c2e') && !shown.includes('second-token-c81d0e6f'), 'no token in status or logs');
    } finally {
      await client.close();
    }
  });

  it('a per-session remote refused after initialize reopens on the next call once the server accepts again (regression: the session kept a closed connection and the call hung)', async () => {
    remote = await ProtectedRemote.start(['own-token-4b8e1d2a']);
    // Before the fix the call after the refusal waited for requestTimeout: keep it short, so the test fails fast.
    t = await TestHome.create({ own: { type: 'http', url: remote.url, sharing: 'per-session', requestTimeout: '8s', headers: { Authorization: 'Bearer ${secret:OWN_TOKEN}' } } });
    await t.cli(['up']);
    await new ControlClient((await t.registry())!).setSecrets({ set: { OWN_TOKEN: 'own-token-4b8e1d2a' } });
    await t.waitForState('own', 'idle');
    const { client } = await connect(t, 'own');
    try {
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'first' } })), 'first');
      remote.deny = { status: 401, challenge: 'Bearer error="invalid_token"' };
      const refused = await client.callTool({ name: 'echo', arguments: { text: 'refused' } }).then(() => undefined, (e: unknown) => e);
      assert.match(String((refused as Error)?.message), /server "own" needs sign-in: the server refused the credentials \(HTTP 401, invalid_token\)/);
      remote.deny = undefined;
      const initializes = remote.initializeCount;
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'back' } }, undefined, { timeout: 30_000 })), 'back');
      assert.equal(remote.initializeCount, initializes + 1, 'the session opened a new connection of its own');
    } finally {
      await client.close();
    }
  });

  it('retries an unreachable remote with backoff and connects once it is up', async () => {
    const port = await freePort();
    t = await TestHome.create({ later: { type: 'http', url: `http://127.0.0.1:${port}/mcp`, resourceLimits: { restartDelay: 300 } } });
    await t.cli(['up']);
    const crashed = await t.waitForState('later', 'crashed', 15_000);
    assert.match(crashed.lastError ?? '', /ECONNREFUSED|fetch failed|connect/i);
    await remoteEverything('streamableHttp', port, remotes);
    const s = await t.waitForState('later', 'running', 30_000);
    assert.ok(s.restarts >= 1);
  });
});
