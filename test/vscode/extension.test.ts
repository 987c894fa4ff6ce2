import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { HostSnapshot } from '../../src/client/hostConnection';
import type { ServerStatus, SyncResult } from '../../src/shared/controlTypes';
import type { ImportOutcome } from '../../src/extension/importServers';
import { findHost } from '../../src/shared/healthCheck';
import type { SharedMcpApi } from '../../src/extension/extension';
import type { ServerNode } from '../../src/extension/serversView';

const EXTENSION_ID = 'shared-mcp.shared-mcp';
const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');

function sharedMcpHome(): string {
  const home = process.env.SHARED_MCP_HOME;
  if (!home) throw new Error('SHARED_MCP_HOME is not set: run this suite through scripts/testVscode.mjs');
  return home;
}

async function waitFor<T>(what: string | (() => string), probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${typeof what === 'function' ? what() : what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** One MCP tool call over Streamable HTTP with the client token, the way any MCP client makes it; the text of its answer. */
async function callTool(endpoint: string | undefined, name: string, args: Record<string, unknown>): Promise<string> {
  assert.ok(endpoint, 'the server has an endpoint');
  const token = fs.readFileSync(path.join(sharedMcpHome(), 'token'), 'utf8').trim();
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const post = async (body: object): Promise<Response> => {
    const res = await fetch(endpoint, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', ...body }) });
    assert.ok(res.ok, `HTTP ${res.status} from ${endpoint}`);
    return res;
  };
  const init = await post({ id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'vscode-test', version: '1' } } });
  headers['mcp-session-id'] = init.headers.get('mcp-session-id') ?? '';
  await init.text();
  await (await post({ method: 'notifications/initialized' })).text();
  const text = await (await post({ id: 2, method: 'tools/call', params: { name, arguments: args } })).text();
  // Plain JSON, or one SSE event when the host streams the answer.
  const json = JSON.parse(text.startsWith('{') ? text : (text.split('\n').find((l) => l.startsWith('data: ')) ?? '').slice(6)) as { result?: { content?: Array<{ text?: string }> } };
  await fetch(endpoint, { method: 'DELETE', headers });
  return json.result?.content?.[0]?.text ?? '';
}

describe('Shared MCP extension (in a real extension host)', () => {
  let api: SharedMcpApi;
  const server = (name: string): ServerStatus | undefined => api.connection.snapshot.status?.servers.find((s) => s.name === name);
  const serverState = (name: string, state: string) => (s: HostSnapshot) => s.status?.servers.find((x) => x.name === name)?.state === state;
  const states = (): string => JSON.stringify({ phase: api.connection.snapshot.phase, servers: api.connection.snapshot.status?.servers.map((s) => `${s.name}: ${s.state}`) });
  const until = (what: string, ok: (s: HostSnapshot) => boolean, timeoutMs = 30_000) => waitFor(() => `${what} (now ${states()})`, () => ok(api.connection.snapshot) || undefined, timeoutMs);
  const item = (name: string): vscode.TreeItem => {
    const node = api.serversView.roots().find((n) => n.kind === 'server' && n.server.name === name);
    assert.ok(node, `no tree item for ${name}; roots: ${JSON.stringify(api.serversView.roots().map((n) => n.kind))}`);
    return api.serversView.getTreeItem(node);
  };
  const iconId = (i: vscode.TreeItem): string => (i.iconPath as vscode.ThemeIcon).id;

  before(async () => {
    const home = sharedMcpHome();
    fs.mkdirSync(home, { recursive: true });
    const config = {
      mcpServers: {
        echo: { command: process.execPath, args: [path.join(FIXTURES, 'fixtureServer.js')] },
        broken: { command: process.execPath, args: ['-e', 'process.exit(3)'], maxRestarts: 0 },
      },
    };
    fs.writeFileSync(path.join(home, 'config.jsonc'), JSON.stringify(config, null, 2));
    const ext = vscode.extensions.getExtension<SharedMcpApi>(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
    api = await ext.activate();
  });

  after(async () => {
    await vscode.commands.executeCommand('sharedMcp.stopHost');
  });

  it('activates at once (it does not wait for the host) and registers every command', async () => {
    console.log(`      activate() took ${api.activateMs.toFixed(1)} ms`);
    const commands = await vscode.commands.getCommands(true);
    const ours = ['up', 'down', 'restart', 'startServer', 'stopServer', 'restartServer', 'showLogs', 'openConfig', 'addServer', 'copyEndpoint', 'showHostLog', 'restartHost', 'stopHost', 'importServers', 'syncClients', 'unsyncClients', 'setSecret', 'deleteSecret'];
    for (const c of ours) assert.ok(commands.includes(`sharedMcp.${c}`), `command sharedMcp.${c} is not registered`);
  });

  it('shows the servers from the host: icons, descriptions and tooltips by state, and the status bar', async () => {
    // A server that exits at once is crashed (waiting for its restart) or failed (out of restarts): both broken.
    await until('echo running and broken crashed', (s) => serverState('echo', 'running')(s) && (serverState('broken', 'crashed')(s) || serverState('broken', 'failed')(s)));
    const echo = item('echo');
    assert.equal(iconId(echo), 'pass-filled');
    assert.equal(echo.contextValue, 'server-running');
    await until('the tool count', (s) => s.status?.servers.find((x) => x.name === 'echo')?.tools === 1);
    assert.match(String(item('echo').description), /1 tool/);
    assert.match((echo.tooltip as vscode.MarkdownString).value, /Endpoint: `http:\/\/127\.0\.0\.1:\d+\/mcp\/echo`/);

    const broken = item('broken');
    assert.equal(iconId(broken), server('broken')?.state === 'failed' ? 'error' : 'warning');
    assert.equal(((broken.iconPath as vscode.ThemeIcon).color as vscode.ThemeColor).id, 'errorForeground');
    assert.match((broken.tooltip as vscode.MarkdownString).value, /Last error/);

    assert.equal(api.statusBar.item.text, '$(server) MCP 1/2');
    assert.equal((api.statusBar.item.backgroundColor as vscode.ThemeColor | undefined)?.id, 'statusBarItem.warningBackground');
  });

  it('Stop Server and Start Server act on the host, and the tree and status bar follow', async () => {
    await vscode.commands.executeCommand('sharedMcp.stopServer', 'echo');
    await until('echo stopped', serverState('echo', 'stopped'));
    assert.equal(iconId(item('echo')), 'circle-slash');
    assert.equal(api.statusBar.item.text, '$(server) MCP 0/2');
    await vscode.commands.executeCommand('sharedMcp.startServer', 'echo');
    await until('echo running again', serverState('echo', 'running'));
    await vscode.commands.executeCommand('sharedMcp.restartServer', 'echo');
    await until('echo running after the restart', (s) => serverState('echo', 'running')(s) && (server('echo')?.restarts ?? 0) >= 0);
  });

  it('lists the tools under a server', async () => {
    const node = api.serversView.roots().find((n): n is Extract<ServerNode, { kind: 'server' }> => n.kind === 'server' && n.server.name === 'echo');
    assert.ok(node);
    const groups = await api.serversView.getChildren(node);
    const tools = await api.serversView.getChildren(groups.find((g) => g.kind === 'group' && g.group === 'tools'));
    assert.deepEqual(tools.map((t) => (t.kind === 'tool' ? t.name : t.kind)), ['echo']);
  });

  it("gives VS Code's MCP registry each server as an HTTP definition with the bearer header", async () => {
    const defs = await api.mcpProvider.provideMcpServerDefinitions();
    const echo = defs.find((d) => d.label === 'echo');
    assert.ok(echo, `definitions: ${defs.map((d) => d.label).join(', ')}`);
    assert.equal(echo.uri.toString(true), server('echo')?.endpoint);
    const token = fs.readFileSync(path.join(sharedMcpHome(), 'token'), 'utf8').trim();
    assert.equal(echo.headers.Authorization, `Bearer ${token}`);
  });

  it('Copy Endpoint puts the endpoint on the clipboard', async () => {
    await vscode.commands.executeCommand('sharedMcp.copyEndpoint', 'echo');
    assert.equal(await vscode.env.clipboard.readText(), server('echo')?.endpoint);
  });

  it("Show Logs opens the server's log channel and fills it from the host", async () => {
    const got = new Promise<string>((resolve) => {
      const sub = api.logs.onDidWrite(({ server: name, line }) => {
        if (name !== 'echo') return;
        sub.dispose();
        resolve(line.text);
      });
    });
    await vscode.commands.executeCommand('sharedMcp.showLogs', 'echo');
    // History first: the host logged the server's start and stop.
    assert.ok((await got).length > 0);
  });

  it('Open Config opens config.jsonc at the server', async () => {
    await vscode.commands.executeCommand('sharedMcp.openConfig', { kind: 'server', server: server('broken') });
    const editor = await waitFor('the config editor', () => vscode.window.activeTextEditor);
    assert.equal(editor.document.uri.fsPath, path.join(sharedMcpHome(), 'config.jsonc'));
    assert.match(editor.document.lineAt(editor.selection.active.line).text, /"broken"/);
  });

  it('says so in the tree and on the status bar when config.jsonc is broken (the host keeps the previous config)', async () => {
    const file = path.join(sharedMcpHome(), 'config.jsonc');
    const good = fs.readFileSync(file, 'utf8');
    try {
      fs.writeFileSync(file, '{ "mcpServers": { ');
      await until('the config error', (s) => Boolean(s.status?.host?.configError));
      const first = api.serversView.roots()[0];
      assert.ok(first.kind === 'message' && first.label.startsWith('Config not applied:'), JSON.stringify(first));
      assert.equal((api.statusBar.item.backgroundColor as vscode.ThemeColor | undefined)?.id, 'statusBarItem.warningBackground');
      assert.ok(server('echo'), 'the servers of the previous config are still listed');
    } finally {
      fs.writeFileSync(file, good);
    }
    await until('the config applied again', (s) => s.status?.host?.configError === null);
  });

  it('Down stops every server, Up starts them again, Restart restarts the running ones', async () => {
    await vscode.commands.executeCommand('sharedMcp.down');
    await until('every server stopped', (s) => (s.status?.servers ?? []).every((x) => x.state === 'stopped'));
    assert.equal(api.statusBar.item.text, '$(server) MCP 0/2');
    await vscode.commands.executeCommand('sharedMcp.up');
    await until('echo running', serverState('echo', 'running'));
    const pid = server('echo')?.pid;
    await vscode.commands.executeCommand('sharedMcp.restart');
    await until('echo running in a new process', (s) => serverState('echo', 'running')(s) && server('echo')?.pid !== pid);
  });

  it('Add Server writes config.jsonc (comments kept) and the host starts the new server', async () => {
    const file = path.join(sharedMcpHome(), 'config.jsonc');
    const before = fs.readFileSync(file, 'utf8');
    fs.writeFileSync(file, `// my servers\n${before}`);
    try {
      await vscode.commands.executeCommand('sharedMcp.addServer', { name: 'added', launch: `${process.execPath} ${path.join(FIXTURES, 'fixtureServer.js')}` });
      const text = fs.readFileSync(file, 'utf8');
      assert.ok(text.startsWith('// my servers\n'), 'the comment stayed');
      await until('the added server running', serverState('added', 'running'));
      assert.ok(api.serversView.roots().some((n) => n.kind === 'server' && n.server.name === 'added'));
    } finally {
      fs.writeFileSync(file, before);
    }
    await until('the added server gone again', (s) => !s.status?.servers.some((x) => x.name === 'added'));
  });

  it("Show Gateway Host Log opens the host's log file", async () => {
    await vscode.commands.executeCommand('sharedMcp.showHostLog');
    const editor = await waitFor('the host log editor', () => (vscode.window.activeTextEditor?.document.uri.fsPath.endsWith(path.join('logs', 'host.log')) ? vscode.window.activeTextEditor : undefined));
    assert.match(editor.document.getText(), /listening on http:\/\/127\.0\.0\.1:\d+/);
  });

  it('Restart Gateway Host starts a new host process, and the view follows it', async () => {
    const before = (await findHost(sharedMcpHome()))?.pid;
    await vscode.commands.executeCommand('sharedMcp.restartHost');
    await until('a new host', (s) => s.phase === 'connected' && s.status?.host?.pid !== before && serverState('echo', 'running')(s));
  });

  it('Set Secret: a needs-secret server offers it inline; the value goes to SecretStorage and the host, and a new host gets it on connect', async () => {
    const file = path.join(sharedMcpHome(), 'config.jsonc');
    const before = fs.readFileSync(file, 'utf8');
    const value = 'vscode-secret-5d2c7a91e3';
    const config = JSON.parse(before) as { mcpServers: Record<string, unknown> };
    config.mcpServers.keyed = { command: process.execPath, args: [path.join(FIXTURES, 'fixtureServer.js')], env: { FIXTURE_ENV_TOOL: '1', API_KEY: '${secret:VSCODE_TEST_KEY}' } };
    fs.writeFileSync(file, JSON.stringify(config, null, 2));
    try {
      await until('keyed waiting for its secret', serverState('keyed', 'needs-secret'));
      assert.deepEqual(api.connection.snapshot.status?.host?.missingSecrets, ['VSCODE_TEST_KEY']);
      const keyed = item('keyed');
      assert.equal(keyed.contextValue, 'server-needs-secret');
      assert.equal(iconId(keyed), 'lock');
      assert.match((keyed.tooltip as vscode.MarkdownString).value, /missing secret: VSCODE\\_TEST\\_KEY/);
      const menus = (vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { menus: Record<string, Array<{ command: string; when: string; group?: string }>> } }).contributes.menus;
      assert.ok(menus['view/item/context'].some((m) => m.command === 'sharedMcp.setSecret' && m.group?.startsWith('inline') && m.when.includes('viewItem == server-needs-secret')), 'an inline Set Secret on needs-secret items');

      assert.equal(await vscode.commands.executeCommand('sharedMcp.setSecret', { name: 'VSCODE_TEST_KEY', value }), 'VSCODE_TEST_KEY');
      assert.equal(await api.secrets.get('VSCODE_TEST_KEY'), value, 'kept in SecretStorage');
      await until('keyed running with its secret', serverState('keyed', 'running'));
      assert.equal(await callTool(server('keyed')?.endpoint, 'env', { name: 'API_KEY' }), value, 'the server sees the value');

      // A new host knows no secret (nothing is persisted): the extension gives it the one it lacks when it connects.
      const hostPid = api.connection.snapshot.status?.host?.pid;
      await vscode.commands.executeCommand('sharedMcp.restartHost');
      await until('keyed running on a new host, without a command', (s) => s.status?.host?.pid !== hostPid && serverState('keyed', 'running')(s));
      assert.equal(await callTool(server('keyed')?.endpoint, 'env', { name: 'API_KEY' }), value);
      const hostLog = fs.readFileSync(path.join(sharedMcpHome(), 'logs', 'host.log'), 'utf8');
      assert.match(hostLog, /secrets changed: VSCODE_TEST_KEY/);
      assert.ok(!hostLog.includes(value) && !JSON.stringify(api.connection.snapshot.status).includes(value), 'the value is in no log and no status');

      assert.equal(await vscode.commands.executeCommand('sharedMcp.deleteSecret', 'VSCODE_TEST_KEY'), 'VSCODE_TEST_KEY');
      assert.equal(await api.secrets.get('VSCODE_TEST_KEY'), undefined);
      await until('keyed waiting for its secret again', serverState('keyed', 'needs-secret'));
    } finally {
      fs.writeFileSync(file, before);
    }
    await until('keyed gone again', (s) => !s.status?.servers.some((x) => x.name === 'keyed'));
  });

  it('keeps secrets in SecretStorage: store, read back, delete', async () => {
    await api.secrets.set('GITHUB_TOKEN', 'ghp_test_value');
    assert.equal(await api.secrets.get('GITHUB_TOKEN'), 'ghp_test_value');
    await api.secrets.delete('GITHUB_TOKEN');
    assert.equal(await api.secrets.get('GITHUB_TOKEN'), undefined);
  });

  it('Import Servers moves a Claude Code server into Shared MCP, its token into SecretStorage, and points Claude Code at the host', async () => {
    const claudeFile = path.join(process.env.CLAUDE_CONFIG_DIR as string, '.claude.json');
    const configFile = path.join(sharedMcpHome(), 'config.jsonc');
    const configBefore = fs.readFileSync(configFile, 'utf8');
    const original = `${JSON.stringify({ numStartups: 2, mcpServers: { imported: { type: 'stdio', command: process.execPath, args: [path.join(FIXTURES, 'fixtureServer.js')], env: { API_TOKEN: 'tok-123', MODE: 'fast' } } } }, null, 2)}\n`;
    fs.mkdirSync(path.dirname(claudeFile), { recursive: true });
    fs.writeFileSync(claudeFile, original);
    try {
      const outcome = (await vscode.commands.executeCommand('sharedMcp.importServers', { from: ['claude'], names: ['imported'], replace: true })) as ImportOutcome | undefined;
      assert.ok(outcome, 'the import ran');
      assert.deepEqual(outcome.added, ['imported']);
      assert.deepEqual(outcome.secrets, ['imported.API_TOKEN']);
      assert.equal(await api.secrets.get('imported.API_TOKEN'), 'tok-123', 'the value moved to SecretStorage');
      const config = fs.readFileSync(configFile, 'utf8');
      assert.ok(config.includes('"API_TOKEN": "${secret:imported.API_TOKEN}"') && config.includes('"MODE": "fast"'), config);
      assert.ok(!config.includes('tok-123'), 'no secret in config.jsonc');
      await until('the imported server running with its secret from SecretStorage', serverState('imported', 'running'));
      const entry = JSON.parse(fs.readFileSync(claudeFile, 'utf8')).mcpServers.imported;
      assert.equal(entry.url, server('imported')?.endpoint);
      assert.equal(outcome.sync?.clients.find((c) => c.client === 'claude')?.replaced[0], 'imported');

      const removed = (await vscode.commands.executeCommand('sharedMcp.unsyncClients', {})) as SyncResult | undefined;
      assert.deepEqual(removed?.clients.find((c) => c.client === 'claude')?.restored, ['imported']);
      assert.equal(fs.readFileSync(claudeFile, 'utf8'), original, 'Unsync gives Claude Code its file back byte for byte');
      const synced = (await vscode.commands.executeCommand('sharedMcp.syncClients', { clients: ['claude'] })) as SyncResult | undefined;
      assert.deepEqual(synced?.clients[0].conflicts.map((c) => c.name), ['imported'], "Sync leaves the user's own entry alone");
      assert.ok(synced?.clients[0].added.includes('echo'));
    } finally {
      await vscode.commands.executeCommand('sharedMcp.unsyncClients', {});
      fs.writeFileSync(configFile, configBefore);
      await api.secrets.delete('imported.API_TOKEN');
    }
    await until('the imported server gone again', (s) => !s.status?.servers.some((x) => x.name === 'imported'));
  });

  it('Stop Gateway Host: the tree says the host is unreachable; Up brings it back', async () => {
    await vscode.commands.executeCommand('sharedMcp.stopHost');
    await until('unreachable', (s) => s.phase === 'unreachable');
    assert.equal(await findHost(sharedMcpHome()), undefined);
    const labels = api.serversView.roots().map((n) => (n.kind === 'message' ? n.label : n.kind));
    assert.ok(labels.some((l) => l.startsWith('Gateway host unreachable')), labels.join(' | '));
    assert.ok(labels.includes('Start Gateway Host'));
    await vscode.commands.executeCommand('sharedMcp.up');
    await until('echo running on the new host', serverState('echo', 'running'));
  });
});
