/**
 * Entry of dist/extension.js. The extension never owns servers: it finds or starts the per-machine host and shows
 * it live (the Servers tree, the status bar, log channels, VS Code's MCP registry). activate() returns at once and
 * never waits on the host.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ensureHost } from '../client/ensureHost';
import { HostConnection } from '../client/hostConnection';
import { findNodeRuntime } from '../client/nodeRuntime';
import { resolveHome } from '../shared/homePaths';
import { registerCommands } from './commands';
import { inBackground } from './background';
import { reportError } from './commandUtils';
import { LogChannels } from './logChannels';
import { McpProvider } from './mcpProvider';
import { registerSecretCommands } from './secretCommands';
import { Secrets } from './secrets';
import { SecretSync } from './secretSync';
import { ServersView } from './serversView';
import { StatusBar } from './statusBar';
import { registerSyncCommands } from './syncCommands';
import { SyncNotifier } from './syncNotifier';

/** What activate() returns: the live pieces, for other extensions and for the tests (a tree's items cannot be read otherwise). */
export interface SharedMcpApi {
  connection: HostConnection;
  serversView: ServersView;
  statusBar: StatusBar;
  mcpProvider: McpProvider;
  logs: LogChannels;
  secrets: Secrets;
  /** Milliseconds activate() itself took. */
  activateMs: number;
}

export function activate(context: vscode.ExtensionContext): SharedMcpApi {
  const started = performance.now();
  const home = resolveHome();
  const settings = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('sharedMcp');
  const connection = new HostConnection({
    home,
    start: async () => {
      const configured = settings().get<string>('nodePath', '').trim();
      const runtime = configured ? { path: configured, env: {} } : await findNodeRuntime();
      const handle = await ensureHost({ home, hostScript: path.join(context.extensionPath, 'dist', 'host.js'), nodePath: runtime.path, env: runtime.env });
      return handle.registry;
    },
  });
  const logs = new LogChannels(connection);
  const serversView = new ServersView(connection);
  const statusBar = new StatusBar(connection);
  const mcpProvider = new McpProvider(connection);
  const secrets = new Secrets(context.secrets);
  const startHost = async (): Promise<void> => (connection.snapshot.phase === 'connected' ? undefined : connection.connect(true));
  // The extension's global storage is <user data>/User/globalStorage/<id>: VS Code's own mcp.json sits in that User folder.
  const vscodeUserDir = path.dirname(path.dirname(context.globalStorageUri.fsPath));
  context.subscriptions.push(
    new SecretSync(connection, secrets),
    ...registerSecretCommands({ connection, secrets, reportError }),
    connection,
    logs,
    serversView,
    statusBar,
    mcpProvider,
    ...registerCommands({ home, connection, logs, startHost }),
    ...registerSyncCommands({ home, connection, startHost, secrets, vscodeUserDir }),
    new SyncNotifier(connection, context.globalState, { home, connection, startHost }),
  );
  inBackground(connection.connect(settings().get<boolean>('startHostOnActivation', true)), 'connecting to the gateway host');
  return { connection, serversView, statusBar, mcpProvider, logs, secrets, activateMs: performance.now() - started };
}

export function deactivate(): void {
  // The host outlives the editor by design: nothing to stop here (context.subscriptions closes our streams).
}
