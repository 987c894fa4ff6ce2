import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { CLI, TestHome, fixture, type CliResult } from '../../../helpers/hostHarness';
import { INIT, mcpPost, raw } from './rawHttp';

const FD_LIMIT = 512;
const CROWD = 600;

/** `shared-mcp <args>` with the descriptor limit lowered: the host it starts inherits it. */
function cliUnderLimit(t: TestHome, args: string[]): Promise<CliResult> {
  const child = spawn('sh', ['-c', `ulimit -n ${FD_LIMIT} && exec "$0" "$@"`, process.execPath, CLI, ...args], { env: t.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return once(child, 'close').then(([code]) => ({ code: (code as number | null) ?? -1, stdout, stderr }));
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  s.on('error', () => undefined); // the host closing it is the point
  await once(s, 'connect');
  s.resume();
  return s;
}

describe('attack 6: connections without a token cannot make the host unreachable (real host, fd limit 512)', function () {
  let t: TestHome;
  const crowd: net.Socket[] = [];
  before(async () => {
    t = await TestHome.create({ echo: fixture('protocolServer.js') });
    const up = await cliUnderLimit(t, ['up']);
    assert.equal(up.code, 0, up.stderr);
    await t.waitForState('echo', 'running');
  });
  after(async () => {
    for (const s of crowd) s.destroy();
    await t.dispose();
  });

  it(`keeps /health, an MCP call and a server restart working past ${CROWD} silent and half-sent connections (regression: EMFILE)`, async () => {
    const host = (await t.registry())?.pid as number;
    assert.match(readFileSync(`/proc/${host}/limits`, 'utf8'), new RegExp(`Max open files\\s+${FD_LIMIT}\\s+${FD_LIMIT}`), 'the host runs under the low limit');
    for (let i = 0; i < CROWD; i++) {
      const s = await connect(t.port);
      if (i % 2 === 1) s.write(`POST /mcp/echo HTTP/1.1\r\nHost: 127.0.0.1:${t.port}\r\nContent-Length: 1000\r\n`); // headers never finished
      crowd.push(s);
    }
    assert.equal((await raw(t, 'GET', '/health', {}, undefined, 10_000)).status, 200);
    const init = await mcpPost(t, '/mcp/echo', INIT);
    assert.equal(init.status, 200, init.body);
    const call = await mcpPost(t, '/mcp/echo', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'echo', arguments: { text: 'through the crowd' } } }, { 'mcp-session-id': String(init.session) });
    assert.equal(JSON.parse(call.body).result.content[0].text, 'through the crowd');
    const restart = await t.cli(['restart', 'echo']);
    assert.equal(restart.code, 0, restart.stderr + restart.stdout);
    const st = await t.waitForState('echo', 'running');
    assert.equal(st.lastError, null);
    const hostLog = readFileSync(path.join(t.home, 'logs', 'host.log'), 'utf8');
    assert.doesNotMatch(hostLog, /EMFILE/);
    assert.match(hostLog, /client connections open \(the cap, from the file descriptor limit\)/);
    // The cap is 224 at this limit: the oldest of the crowd were closed to make room, the host's own word for it.
    await Promise.all(crowd.slice(0, CROWD - 224).map((s) => (s.destroyed ? undefined : once(s, 'close'))));
  });
});
