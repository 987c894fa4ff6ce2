/**
 * Entry of dist/extension.js. The extension never owns servers: it finds or starts the per-machine host and
 * asks it to act. The sidebar, status bar and live logs arrive with the extension UI work; this entry gives the
 * command palette Up and Stop Gateway Host on top of the same client the CLI uses.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ControlClient } from '../client/controlClient';
import { ensureHost } from '../client/ensureHost';
import { findHost } from '../shared/healthCheck';
import { findNodeRuntime } from '../client/nodeRuntime';
import { toSharedMcpError } from '../shared/errors';
import { resolveHome } from '../shared/homePaths';

export function activate(context: vscode.ExtensionContext): void {
  const home = resolveHome();
  const hostScript = path.join(context.extensionPath, 'dist', 'host.js');
  const report = (err: unknown): void => void vscode.window.showErrorMessage(`Shared MCP: ${toSharedMcpError(err).message}`);
  context.subscriptions.push(
    vscode.commands.registerCommand('sharedMcp.up', async () => {
      try {
        const runtime = await findNodeRuntime();
        const handle = await ensureHost({ home, hostScript, nodePath: runtime.path, env: runtime.env });
        const { servers } = await new ControlClient(handle.registry).start();
        const up = servers.filter((s) => s.state === 'running').length;
        void vscode.window.showInformationMessage(`Shared MCP: host on port ${handle.registry.port}, ${up}/${servers.length} servers running`);
      } catch (err) {
        report(err);
      }
    }),
    vscode.commands.registerCommand('sharedMcp.stopHost', async () => {
      try {
        const reg = await findHost(home);
        if (reg) await new ControlClient(reg).shutdown();
      } catch (err) {
        report(err);
      }
    }),
  );
}

export function deactivate(): void {
  // The host outlives the editor by design: nothing to stop here.
}
