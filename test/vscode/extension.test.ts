import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { findHost } from '../../src/shared/healthCheck';

const EXTENSION_ID = 'shared-mcp.shared-mcp';
const FIXTURES = path.resolve(__dirname, '..', '..', '..', 'test', 'fixtures');

function sharedMcpHome(): string {
  const home = process.env.SHARED_MCP_HOME;
  if (!home) throw new Error('SHARED_MCP_HOME is not set: run this suite through scripts/testVscode.mjs');
  return home;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('Shared MCP extension (in a real extension host)', () => {
  before(() => {
    const home = sharedMcpHome();
    fs.mkdirSync(home, { recursive: true });
    const config = { mcpServers: { echo: { command: process.execPath, args: [path.join(FIXTURES, 'fixtureServer.js')] } } };
    fs.writeFileSync(path.join(home, 'config.jsonc'), JSON.stringify(config, null, 2));
  });

  after(async () => {
    await vscode.commands.executeCommand('sharedMcp.stopHost');
  });

  it('activates and registers its commands', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is not loaded`);
    await ext.activate();
    const commands = await vscode.commands.getCommands(true);
    for (const c of ['sharedMcp.up', 'sharedMcp.stopHost']) assert.ok(commands.includes(c), `command ${c} is not registered`);
  });

  it('Up starts the gateway host and its servers; Stop Gateway Host stops it', async () => {
    await vscode.commands.executeCommand('sharedMcp.up');
    const reg = await waitFor('host.json', async () => (await findHost(sharedMcpHome())) ?? undefined);
    assert.ok(reg.pid > 0 && reg.port > 0);
    await vscode.commands.executeCommand('sharedMcp.stopHost');
    await waitFor('the host to stop', async () => ((await findHost(sharedMcpHome())) ? undefined : true));
  });
});
