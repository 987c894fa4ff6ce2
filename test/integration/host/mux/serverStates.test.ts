import { strict as assert } from 'node:assert';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { TestHome, fixture } from '../../../helpers/hostHarness';
import { clientToken, connect, textOf } from '../../../helpers/mcpClients';

const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };

/** A raw initialize, bounded so that a host that keeps it waiting fails the test instead of hanging it. */
async function initialize(t: TestHome, endpoint: string): Promise<{ ms: number; body: { error?: { code: number; message: string } } }> {
  const t0 = Date.now();
  const r = await fetch(`http://127.0.0.1:${t.port}/mcp/${endpoint}`, {
    method: 'POST',
    signal: AbortSignal.timeout(15_000),
    headers: { authorization: `Bearer ${await clientToken(t)}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify(INIT),
  });
  const body = (await r.json()) as { error?: { code: number; message: string } };
  return { ms: Date.now() - t0, body };
}

describe('a server that is not starting never keeps a client waiting', function () {
  let t: TestHome;
  const clients: Client[] = [];
  before(async () => {
    t = await TestHome.create({
      // Exits with code 1 before answering initialize; no restarts allowed: failed at the first exit.
      crashy: fixture('crashServer.js', { resourceLimits: { maxRestarts: 0 } }),
      // Same, but waiting a minute for its restart: crashed.
      waiting: fixture('crashServer.js', { resourceLimits: { restartDelay: '1m' } }),
      // Runs until told to crash, then waits a minute for its restart.
      later: fixture('protocolServer.js', { resourceLimits: { restartDelay: '1m' } }),
    });
    await t.cli(['up']);
    await t.waitFor((s) => s.servers.find((x) => x.name === 'crashy')?.state === 'failed' && s.servers.find((x) => x.name === 'waiting')?.state === 'crashed', 30_000, 'crashy failed and waiting crashed');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  });
  after(async () => {
    await t.dispose();
  });

  it('answers initialize for a failed server at once with its state and last error (regression: waited 90 s, then 504)', async () => {
    const { ms, body } = await initialize(t, 'crashy');
    assert.ok(ms < 1000, `answered in ${ms} ms`);
    assert.match(body.error?.message ?? '', /^crashy failed: .*exited.*code 1.*; see its log/);
  });

  it('answers initialize for a crashed server (waiting to restart) at once', async () => {
    const { ms, body } = await initialize(t, 'waiting');
    assert.ok(ms < 1000, `answered in ${ms} ms`);
    assert.match(body.error?.message ?? '', /^waiting crashed: .*exited.*code 1/);
  });

  it('answers a request of an open session at once when its server crashed, with {server, state, lastError} in error.data', async () => {
    const { client } = await connect(t, 'later', { name: 'before-the-crash' });
    clients.push(client);
    await client.callTool({ name: 'crash' }).catch(() => undefined);
    await t.waitForState('later', 'crashed');
    const t0 = Date.now();
    await assert.rejects(client.callTool({ name: 'echo', arguments: { text: 'x' } }, undefined, { timeout: 15_000 }), (err: unknown) => {
      assert.ok(err instanceof McpError, String(err));
      assert.match(err.message, /later crashed: /);
      const data = err.data as { server: string; state: string; lastError: string };
      assert.deepEqual([data.server, data.state], ['later', 'crashed']);
      assert.match(data.lastError, /exited/);
      return true;
    });
    assert.ok(Date.now() - t0 < 1000, `answered in ${Date.now() - t0} ms`);
  });

  it('still waits for a start in progress: a lazy server starts on the first request', async () => {
    const lazy = await TestHome.create({ lazy: fixture('protocolServer.js', { autoStart: 'lazy', env: { PROTOCOL_INIT_DELAY_MS: '300' } }) });
    try {
      await lazy.cli(['up']);
      await lazy.waitForState('lazy', 'idle');
      const { client } = await connect(lazy, 'lazy');
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'woke up' } })), 'woke up');
      await client.close();
    } finally {
      await lazy.dispose();
    }
  });
});
