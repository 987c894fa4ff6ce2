import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import * as http from 'node:http';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT, TestHome, freePort } from '../../helpers/hostHarness';

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
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
    remotes.splice(0).forEach(killGroup);
    unauthorized?.close();
    unauthorized = undefined;
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
    t = await TestHome.create({ locked: { url: `http://127.0.0.1:${port}/mcp` } });
    await t.cli(['up']);
    const s = await t.waitForState('locked', 'needs-auth', 15_000);
    assert.match(s.lastError ?? '', /authorization \(HTTP 401\)/);
    await sleep(1500);
    assert.equal((await t.server('locked')).restarts, 0);
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
