// Acceptance with Codex's newest pinned release (test/clients: @openai/codex-0.171) and its hidden 2026-07-28 support
// switched on (features.mcp_2026_07_28): `codex app-server` connects to a shared server's /mcp/<server>, lists its tools
// and calls one. With the flag, Codex opens the connection the modern way and falls back to initialize only when the
// answer is shaped like the 2026-07-28 spec's "unsupported protocol version" (400, -32022, the request's id, the
// supported versions); a pass-through proxy records what went over the wire. No model is involved: the app server
// calls MCP tools directly (mcpServer/tool/call).
import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CodexAppServer, type McpServerStatus } from '../../helpers/codexAppServer';
import { TestHome, fixture } from '../../helpers/hostHarness';
import { CODEX_NEWEST, CODEX_NEWEST_PACKAGE, assertCodexInstalled, claudeEnv } from '../../helpers/realClients';
import { describeExchanges, startRecordingProxy, type RecordingProxy } from '../../helpers/recordingProxy';

/** The protocol versions before 2026-07-28 that Codex 0.171 (rmcp) knows: its ProtocolVersion::KNOWN_VERSIONS. */
const CODEX_KNOWN_LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];

describe('Codex 0.171 app-server with mcp_2026_07_28 on (test/clients)', function () {
  this.timeout(120_000);
  let t: TestHome | undefined;
  let env: NodeJS.ProcessEnv;
  let proxy: RecordingProxy | undefined;
  let token: string;
  const apps: CodexAppServer[] = [];

  async function writeCodexConfig(modern: boolean): Promise<void> {
    const file = path.join(env.CODEX_HOME as string, 'config.toml');
    const url = `${proxy?.origin}/mcp/echo`;
    await fs.writeFile(file, `[features]\nmcp_2026_07_28 = ${modern}\n\n[mcp_servers.echo]\nurl = "${url}"\nhttp_headers = { Authorization = "Bearer ${token}" }\n`);
  }

  /** A fresh app server: initialized, with one thread (whose MCP connections the calls use). */
  async function openAppServer(): Promise<{ app: CodexAppServer; threadId: string }> {
    const cwd = env.HOME as string;
    const app = new CodexAppServer(CODEX_NEWEST, { env, cwd });
    apps.push(app);
    await app.open();
    const started = await app.request<{ thread: { id: string } }>('thread/start', { ephemeral: true, cwd });
    return { app, threadId: started.thread.id };
  }

  before(async () => {
    assertCodexInstalled(CODEX_NEWEST_PACKAGE);
    t = await TestHome.create({ echo: fixture('fixtureServer.js') }, { syncClients: [] });
    const up = await t.cli(['up']);
    assert.equal(up.code, 0, up.stderr);
    await t.waitForState('echo', 'running');
    const reg = await t.registry();
    assert.ok(reg, 'host.json');
    token = (await fs.readFile(path.join(t.home, 'token'), 'utf8')).trim();
    env = claudeEnv(t);
    await fs.mkdir(env.CODEX_HOME as string, { recursive: true });
    proxy = await startRecordingProxy(reg.port);
  });

  afterEach(() => {
    for (const app of apps.splice(0)) app.dispose();
  });

  after(async () => {
    for (const app of apps.splice(0)) app.dispose();
    await proxy?.close();
    await t?.dispose();
  });

  for (const modern of [true, false]) {
    it(`${modern ? 'flag on: probes the modern way, falls back on the host\'s -32022' : 'flag off (legacy only, the control)'}; lists the shared server's tools and calls one`, async () => {
      await writeCodexConfig(modern);
      const exchanges = proxy?.exchanges as NonNullable<RecordingProxy>['exchanges'];
      exchanges.splice(0);
      const { app, threadId } = await openAppServer();
      const wire = (): string => `on the wire:\n${describeExchanges(exchanges)}\napp server notifications: ${JSON.stringify(app.notifications.filter((n) => String(n.method).startsWith('mcpServer')))}`;
      const { data } = await app.request<{ data: McpServerStatus[] }>('mcpServerStatus/list', { detail: 'full', threadId, serverName: 'echo' });
      const posts = exchanges.filter((e) => e.method === 'POST');
      if (modern) {
        // What Codex needs to fall back (its legacy_discovery_fallback_response): the refusal answers the probe's id
        // with -32022, and every version in data.supported is a legacy one it knows (2024-10-07 is not: then it gives up
        // with "no compatible protocol version").
        const probe = posts[0];
        assert.deepEqual([probe?.rpc, probe?.protocolVersion, probe?.status], [['server/discover'], '2026-07-28', 400], wire());
        const refusal = JSON.parse(probe.errorBody ?? '{}') as { id?: unknown; error?: { code?: number; data?: { supported?: unknown } } };
        assert.equal(refusal.error?.code, -32022, wire());
        assert.notEqual(refusal.id ?? null, null, `the refusal names the request's id\n${wire()}`);
        const supported = refusal.error?.data?.supported;
        assert.ok(Array.isArray(supported) && supported.length > 0 && supported.every((v) => CODEX_KNOWN_LEGACY_VERSIONS.includes(v as string)), `data.supported must list only ${CODEX_KNOWN_LEGACY_VERSIONS.join(', ')}\n${wire()}`);
      }
      const echo = data.find((s) => s.name === 'echo');
      assert.ok(echo, JSON.stringify(data));
      assert.equal(echo.toolsError, null, wire());
      assert.deepEqual(Object.keys(echo.tools), ['echo'], wire());
      assert.equal(echo.serverInfo?.name, 'echo-fixture');
      const call = await app.request<{ content: Array<{ text?: string }> }>('mcpServer/tool/call', { threadId, server: 'echo', tool: 'echo', arguments: { text: 'hello from Codex' } });
      assert.equal(call.content[0]?.text, 'hello from Codex', wire());

      // Then the fallback: initialize (first of all, without the flag).
      const init = posts.findIndex((e) => e.rpc.includes('initialize'));
      assert.ok(init >= 0 && posts[init].status === 200, wire());
      assert.equal(init, modern ? 1 : 0, wire());
    });
  }
});
