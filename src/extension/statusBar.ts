import * as vscode from 'vscode';
import type { HostConnection, HostSnapshot } from '../client/hostConnection';
import { anyBroken, statusBarText } from './serverPresentation';

export const SHOW_STATUS_BAR_SETTING = 'sharedMcp.showStatusBar';

/** `$(server) MCP 4/5` on the status bar; warning colours when a server crashed, failed or waits for a secret; click → the quick pick. */
export class StatusBar implements vscode.Disposable {
  readonly item: vscode.StatusBarItem;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(private readonly connection: HostConnection) {
    this.item = vscode.window.createStatusBarItem('sharedMcp.status', vscode.StatusBarAlignment.Left, 10);
    this.item.name = 'Shared MCP';
    this.item.command = 'sharedMcp.showQuickPick';
    this.disposables.push(
      this.item,
      connection.onDidChange((s) => this.update(s)),
      vscode.workspace.onDidChangeConfiguration((e) => e.affectsConfiguration(SHOW_STATUS_BAR_SETTING) && this.update(connection.snapshot)),
    );
    this.update(connection.snapshot);
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private update(s: HostSnapshot): void {
    const servers = s.status?.servers ?? [];
    if (s.phase === 'starting') {
      this.item.text = '$(loading~spin) MCP';
      this.item.tooltip = 'Shared MCP: starting the gateway host…';
    } else if (s.phase === 'unreachable') {
      this.item.text = '$(debug-disconnect) MCP';
      this.item.tooltip = `Shared MCP: the gateway host is unreachable${s.error ? ` (${s.error})` : ''}`;
    } else {
      this.item.text = statusBarText(servers);
      const lines = servers.map((x) => `${x.name}: ${x.state}${x.lastError && (x.state === 'crashed' || x.state === 'failed') ? ` — ${x.lastError}` : ''}`);
      const configError = s.status?.host?.configError;
      this.item.tooltip = `Shared MCP on port ${s.status?.host?.port ?? '?'}\n${lines.join('\n') || 'no servers configured'}${configError ? `\nconfig not applied: ${configError.message}` : ''}`;
    }
    const broken = s.phase === 'unreachable' || anyBroken(servers) || Boolean(s.status?.host?.configError);
    this.item.backgroundColor = broken ? new vscode.ThemeColor('statusBarItem.warningBackground') : undefined;
    if (vscode.workspace.getConfiguration().get<boolean>(SHOW_STATUS_BAR_SETTING, true)) this.item.show();
    else this.item.hide();
  }
}
