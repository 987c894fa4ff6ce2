import * as vscode from 'vscode';
import type { HostConnection } from '../client/hostConnection';

export const MCP_PROVIDER_ID = 'sharedMcp.servers';

/**
 * VS Code's own MCP support (Copilot Chat in every window) gets each shared server as an HTTP server with the
 * bearer header, instead of spawning its own copy. The list follows the host: a change fires the event.
 */
export class McpProvider implements vscode.McpServerDefinitionProvider<vscode.McpHttpServerDefinition>, vscode.Disposable {
  private readonly onDidChangeEmitter = new vscode.EventEmitter<void>();
  readonly onDidChangeMcpServerDefinitions = this.onDidChangeEmitter.event;
  private readonly disposables: vscode.Disposable[] = [this.onDidChangeEmitter];
  private lastKey = '';

  constructor(private readonly connection: HostConnection) {
    this.disposables.push(
      connection.onDidChange((s) => {
        // Only what a definition holds counts: states and sessions change all the time.
        const key = JSON.stringify((s.status?.servers ?? []).map((x) => [x.name, x.endpoint, x.state === 'disabled']));
        if (key === this.lastKey) return;
        this.lastKey = key;
        this.onDidChangeEmitter.fire();
      }),
    );
    // The API exists from VS Code 1.101; an older or trimmed-down host simply has no MCP support to feed.
    if (typeof vscode.lm?.registerMcpServerDefinitionProvider === 'function') {
      this.disposables.push(vscode.lm.registerMcpServerDefinitionProvider(MCP_PROVIDER_ID, this));
    }
  }

  async provideMcpServerDefinitions(): Promise<vscode.McpHttpServerDefinition[]> {
    const servers = (this.connection.snapshot.status?.servers ?? []).filter((s) => s.state !== 'disabled');
    if (servers.length === 0) return [];
    // The host's own token: home/token may be missing or stale, and "Bearer " must never reach VS Code.
    const token = await this.connection.client?.clientToken().catch(() => undefined);
    if (!token) return [];
    return servers.map((s) => new vscode.McpHttpServerDefinition(s.name, vscode.Uri.parse(s.endpoint), { Authorization: `Bearer ${token}` }));
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}
