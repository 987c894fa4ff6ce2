import * as vscode from 'vscode';
import type { ServerStatus } from '../shared/controlTypes';
import { homePaths } from '../shared/homePaths';
import { addServer } from './addServer';
import { busy, connected, control, registerSafe as run, type CommandContext as BaseContext } from './commandUtils';
import type { LogChannels } from './logChannels';
import { stateIcon } from './serverPresentation';
import type { ServerNode } from './serversView';

export interface CommandContext extends BaseContext {
  logs: LogChannels;
}

type ServerArg = ServerNode | string | undefined;

/** Registers every `sharedMcp.*` command; a command that needs a server asks with a quick pick when not given one. */
export function registerCommands(ctx: CommandContext): vscode.Disposable[] {
  const serverAction = (verb: 'start' | 'stop' | 'restart') => async (arg: ServerArg) => {
    const name = await serverName(ctx, arg, `${verb[0].toUpperCase()}${verb.slice(1)} which server?`);
    if (!name) return;
    // Stopping needs no host: with none running, there is nothing to stop.
    const client = verb === 'stop' ? connected(ctx) : await control(ctx);
    await busy(`${verb === 'stop' ? 'stopping' : verb === 'start' ? 'starting' : 'restarting'} ${name}…`, () => client[verb]([name]));
    await ctx.connection.refresh();
  };
  return [
    run('sharedMcp.up', async () => {
      await busy('starting the gateway host…', () => ctx.startHost());
      const client = connected(ctx);
      await busy('starting servers…', () => client.start());
      await ctx.connection.refresh();
    }),
    run('sharedMcp.down', async () => {
      const client = connected(ctx);
      await busy('stopping servers…', () => client.stop());
      await ctx.connection.refresh();
    }),
    run('sharedMcp.restart', async () => {
      const client = await control(ctx);
      await busy('restarting servers…', () => client.restart());
      await ctx.connection.refresh();
    }),
    run('sharedMcp.startServer', serverAction('start')),
    run('sharedMcp.stopServer', serverAction('stop')),
    run('sharedMcp.restartServer', serverAction('restart')),
    run('sharedMcp.showLogs', async (arg: ServerArg) => {
      const name = await serverName(ctx, arg, 'Show the logs of which server?');
      if (name) ctx.logs.show(name);
    }),
    run('sharedMcp.copyEndpoint', async (arg: ServerArg) => {
      const name = await serverName(ctx, arg, 'Copy the endpoint of which server?');
      const server = ctx.connection.snapshot.status?.servers.find((s) => s.name === name);
      if (!server) return;
      await vscode.env.clipboard.writeText(server.endpoint);
      void vscode.window.setStatusBarMessage(`Copied ${server.endpoint}`, 3000);
    }),
    run('sharedMcp.openConfig', async (arg: ServerArg) => openConfig(ctx, typeof arg === 'object' && arg.kind === 'server' ? arg.server.name : undefined)),
    run('sharedMcp.addServer', async (preset?: { name: string; launch: string }) => addServer(configPath(ctx), preset?.name && preset.launch ? preset : undefined)),
    run('sharedMcp.showHostLog', async () => {
      await vscode.window.showTextDocument(vscode.Uri.file(homePaths(ctx.home).hostLog), { preview: false });
    }),
    run('sharedMcp.restartHost', async () => {
      const client = ctx.connection.client;
      if (client) await client.shutdown();
      await waitForHostGone(ctx);
      await ctx.startHost();
      connected(ctx);
    }),
    run('sharedMcp.stopHost', async () => {
      const client = ctx.connection.client;
      if (client) await client.shutdown();
      await waitForHostGone(ctx);
    }),
    run('sharedMcp.showQuickPick', async () => quickPick(ctx)),
  ];
}

function configPath(ctx: CommandContext): string {
  return ctx.connection.snapshot.status?.host?.configPath ?? homePaths(ctx.home).config;
}

async function serverName(ctx: CommandContext, arg: ServerArg, title: string): Promise<string | undefined> {
  if (typeof arg === 'string') return arg;
  if (arg && (arg.kind === 'server' || arg.kind === 'group')) return arg.server.name;
  const picked = await pickServer(ctx.connection.snapshot.status?.servers ?? [], title);
  return picked?.name;
}

async function pickServer(servers: ServerStatus[], title: string): Promise<ServerStatus | undefined> {
  if (servers.length === 0) {
    void vscode.window.showInformationMessage('Shared MCP: no servers are configured. Add one with "Shared MCP: Add Server".');
    return undefined;
  }
  const picked = await vscode.window.showQuickPick(
    servers.map((s) => ({ label: `$(${stateIcon(s.state).id}) ${s.name}`, description: s.state, detail: s.lastError ?? undefined, server: s })),
    { title, matchOnDescription: true },
  );
  return picked?.server;
}

/** The status bar's menu: pick a server, then what to do with it. */
async function quickPick(ctx: CommandContext): Promise<void> {
  const server = await pickServer(ctx.connection.snapshot.status?.servers ?? [], 'Shared MCP servers');
  if (!server) return;
  const actions = [
    ...(server.state === 'needs-secret' ? [{ label: '$(key) Set Secret…', command: 'sharedMcp.setSecret' }] : []),
    { label: '$(play) Start', command: 'sharedMcp.startServer' },
    { label: '$(debug-stop) Stop', command: 'sharedMcp.stopServer' },
    { label: '$(debug-restart) Restart', command: 'sharedMcp.restartServer' },
    { label: '$(output) Show Logs', command: 'sharedMcp.showLogs' },
    { label: '$(copy) Copy Endpoint', command: 'sharedMcp.copyEndpoint' },
  ];
  const action = await vscode.window.showQuickPick(actions, { title: `${server.name} (${server.state})` });
  // Set Secret takes a secret's name as a string: it gets the server's item, and offers that server's secrets.
  if (action) await vscode.commands.executeCommand(action.command, action.command === 'sharedMcp.setSecret' ? { kind: 'server', server } : server.name);
}

async function openConfig(ctx: CommandContext, server: string | undefined): Promise<void> {
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(configPath(ctx)));
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  if (!server) return;
  // The server's key: `"name":` under mcpServers (the first match is good enough to land the cursor).
  const at = doc.getText().search(new RegExp(`"${server.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\s*:`));
  if (at < 0) return;
  const pos = doc.positionAt(at);
  editor.selection = new vscode.Selection(pos, pos);
  editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenter);
}

async function waitForHostGone(ctx: CommandContext): Promise<void> {
  const until = Date.now() + 15_000;
  while (ctx.connection.snapshot.phase === 'connected' && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
}
