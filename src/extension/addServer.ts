import * as vscode from 'vscode';
import { addServerToConfig, serverEntryFor } from '../shared/config/configEdit';
import { SERVER_NAME_RULE, isServerName } from '../shared/serverName';
import { updateConfigFile } from '../shared/config/configFile';

/** Add Server: a name, then a command line or a URL; the entry goes into config.jsonc with its comments kept (the host reloads it). */
export async function addServer(configFile: string, preset?: { name: string; launch: string }): Promise<string | undefined> {
  // Called with both (another extension, a test): no questions.
  if (preset) {
    await writeServer(configFile, preset.name, serverEntryFor(preset.launch.trim()));
    return preset.name;
  }
  const name = await vscode.window.showInputBox({
    title: 'Add MCP Server (1/2)',
    prompt: 'A name for the server: it becomes its endpoint, /mcp/<name>',
    placeHolder: 'github',
    validateInput: (v) => (isServerName(v) ? undefined : `Not a valid name: ${SERVER_NAME_RULE}`),
  });
  if (!name) return undefined;
  const launch = await vscode.window.showInputBox({
    title: 'Add MCP Server (2/2)',
    prompt: 'The command line of a stdio server, or the URL of a remote one',
    placeHolder: 'npx -y @modelcontextprotocol/server-memory   or   https://example.com/mcp',
    validateInput: (v) => (v.trim() === '' ? 'Enter a command line or a URL' : undefined),
  });
  if (!launch) return undefined;
  await writeServer(configFile, name, serverEntryFor(launch.trim()));
  void vscode.window.setStatusBarMessage(`Shared MCP: added ${name}`, 4000);
  return name;
}

async function writeServer(configFile: string, name: string, entry: Record<string, unknown>): Promise<void> {
  await updateConfigFile(configFile, (text) => addServerToConfig(text, name, entry));
}
