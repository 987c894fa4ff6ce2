import { strict as assert } from 'node:assert';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ControlClient } from '../../../../src/client/controlClient';
import type { HostEvent } from '../../../../src/shared/controlTypes';
import { TestHome, fixture } from '../../../helpers/hostHarness';
import { clientToken, connect, textOf } from '../../../helpers/mcpClients';
import { until } from '../../../helpers/until';

const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };

/** A raw initialize to /mcp/<endpoint>, bounded so that a host that keeps it waiting fails the test instead of hanging it. */
async function initialize(t: TestHome, endpoint: string): Promise<{ result?: unknown; error?: { code: number; message: string } }> {
  const r = await fetch(`http://127.0.0.1:${t.port}/mcp/${endpoint}`, {
    method: 'POST',
    signal: AbortSignal.timeout(60_000),
    headers: { authorization: `Bearer ${await clientToken(t)}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify(INIT),
  });
  return (await r.json()) as { result?: unknown; error?: { code: number; message: string } };
}

/** What one variable is in the process that serves this session now. */
async function envOf(client: Client, name: string): Promise<string> {
  return textOf(await client.callTool({ name: 'env', arguments: { name } }));
}

describe('per-session servers (real host, real processes)', function () {
  let t: TestHome | undefined;
  let events: HostEvent[] = [];
  let sub: { dispose(): void } | undefined;
  const clients: Client[] = [];

  async function start(servers: Record<string, unknown>): Promise<TestHome> {
    t = await TestHome.create(servers);
    await t.cli(['up']);
    events = [];
    sub = new ControlClient((await t.registry())!).events((e) => events.push(e), () => undefined);
    return t;
  }

  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    sub?.dispose();
    sub = undefined;
    await t?.dispose();
    t = undefined;
  });

  it('a config change that reaches the process reaches open sessions: their next call runs in a new process with it (regression: they kept the old one)', async () => {
    const own = (mode: string): Record<string, unknown> => fixture('fixtureServer.js', { sharing: 'per-session', env: { FIXTURE_ENV_TOOL: '1', MODE: mode } });
    const home = await start({ own: own('first') });
    const a = await connect(home, 'own', { name: 'a' });
    const b = await connect(home, 'own', { name: 'b' });
    clients.push(a.client, b.client);
    assert.deepEqual([await envOf(a.client, 'MODE'), await envOf(b.client, 'MODE')], ['first', 'first']);
    await home.writeConfig({ own: own('second') });
    await until('the reload', () => events.some((e) => e.type === 'config-reloaded'));
    assert.deepEqual([await envOf(a.client, 'MODE'), await envOf(b.client, 'MODE')], ['second', 'second'], 'the same sessions, new processes');
    const st = await home.server('own');
    assert.equal(st.sessions.length, 2, 'both sessions stay open');
  });

  it('a changed secret reaches open sessions: their next call runs in a new process with the new value (regression: README promised a restart)', async () => {
    const home = await start({ own: fixture('fixtureServer.js', { sharing: 'per-session', env: { FIXTURE_ENV_TOOL: '1', API_KEY: '${secret:API_KEY}' } }) });
    const control = new ControlClient((await home.registry())!);
    await control.setSecrets({ set: { API_KEY: 'first-value-5c2e' } });
    const { client } = await connect(home, 'own');
    clients.push(client);
    assert.equal(await envOf(client, 'API_KEY'), 'first-value-5c2e');
    await control.setSecrets({ set: { API_KEY: 'second-value-9d1f' } });
    await until('the secrets-changed event', () => events.some((e) => e.type === 'secrets-changed'));
    assert.equal(await envOf(client, 'API_KEY'), 'second-value-9d1f');
  });

  it('a session still opening its process when the server is removed gets an error, and the process is stopped (regression: it kept a process for a removed server)', async () => {
    // The server takes 20 s to answer initialize: the removal comes while the session's process starts.
    const home = await start({ own: fixture('protocolServer.js', { sharing: 'per-session', env: { PROTOCOL_INIT_DELAY_MS: '20000' } }) });
    const hostPid = (await home.registry())?.pid as number;
    const answer = initialize(home, 'own');
    await until("the session's process", () => home.processes().length === 2);
    await home.writeConfig({});
    const { error } = await answer;
    assert.match(error?.message ?? '', /server "own" was removed or reconfigured/);
    assert.deepEqual(home.processes(), [hostPid], "the session's process is gone before the answer");
  });

  it('a disabled per-session server starts no process for a session (regression: each session started one)', async () => {
    const home = await start({ own: fixture('fixtureServer.js', { sharing: 'per-session', disabled: true }) });
    const hostPid = (await home.registry())?.pid as number;
    const { error } = await initialize(home, 'own');
    assert.match(error?.message ?? '', /server "own" is disabled in the config/);
    assert.deepEqual(home.processes(), [hostPid]);
  });
});
