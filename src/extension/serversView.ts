import * as vscode from 'vscode';
import type { HostConnection, HostSnapshot } from '../client/hostConnection';
import type { ServerStatus, SessionStatus } from '../shared/controlTypes';
import { serverDescription, serverTooltip, stateIcon } from './serverPresentation';

export const SERVERS_VIEW_ID = 'sharedMcp.servers';

/** A node of the Servers tree. */
export type ServerNode =
  | { kind: 'server'; server: ServerStatus }
  | { kind: 'group'; server: ServerStatus; group: 'tools' | 'sessions' }
  | { kind: 'tool'; server: string; name: string; description?: string }
  | { kind: 'session'; server: string; session: SessionStatus }
  | { kind: 'message'; label: string; icon: string; command?: vscode.Command };

/** The Servers tree: one item per server from the host's live status; tools and sessions underneath. */
export class ServersView implements vscode.TreeDataProvider<ServerNode>, vscode.Disposable {
  private readonly onDidChangeTreeDataEmitter = new vscode.EventEmitter<ServerNode | undefined>();
  readonly onDidChangeTreeData = this.onDidChangeTreeDataEmitter.event;
  private readonly disposables: vscode.Disposable[] = [];
  readonly view: vscode.TreeView<ServerNode>;

  constructor(private readonly connection: HostConnection) {
    this.view = vscode.window.createTreeView(SERVERS_VIEW_ID, { treeDataProvider: this, showCollapseAll: false });
    this.disposables.push(this.view, this.onDidChangeTreeDataEmitter, connection.onDidChange((s) => this.update(s)));
    this.update(connection.snapshot);
  }

  getTreeItem(node: ServerNode): vscode.TreeItem {
    switch (node.kind) {
      case 'server': {
        const s = node.server;
        const item = new vscode.TreeItem(s.name, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `server:${s.name}`;
        item.iconPath = stateIcon(s.state);
        item.description = serverDescription(s);
        item.tooltip = serverTooltip(s);
        // Menus key on this: "server-running", "server-stopped", …
        item.contextValue = `server-${s.state}`;
        return item;
      }
      case 'group': {
        const count = node.group === 'tools' ? node.server.tools : node.server.sessions.length;
        const item = new vscode.TreeItem(node.group === 'tools' ? 'Tools' : 'Clients', vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `${node.group}:${node.server.name}`;
        item.description = count === null ? '' : String(count);
        item.iconPath = new vscode.ThemeIcon(node.group === 'tools' ? 'tools' : 'plug');
        item.contextValue = `group-${node.group}`;
        return item;
      }
      case 'tool': {
        const item = new vscode.TreeItem(node.name, vscode.TreeItemCollapsibleState.None);
        item.description = node.description?.split('\n')[0];
        item.tooltip = node.description;
        item.iconPath = new vscode.ThemeIcon('symbol-method');
        item.contextValue = 'tool';
        return item;
      }
      case 'session': {
        const c = node.session.client;
        const item = new vscode.TreeItem(c ? c.name : 'unknown client', vscode.TreeItemCollapsibleState.None);
        item.description = [c?.version, `${node.session.callsServed} calls`].filter(Boolean).join(' · ');
        item.tooltip = `${node.session.transport}, protocol ${node.session.protocolVersion}, since ${new Date(node.session.since).toLocaleString()}`;
        item.iconPath = new vscode.ThemeIcon('account');
        item.contextValue = 'session';
        return item;
      }
      case 'message': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        item.command = node.command;
        item.contextValue = 'message';
        return item;
      }
    }
  }

  async getChildren(node?: ServerNode): Promise<ServerNode[]> {
    if (!node) return this.roots();
    if (node.kind === 'server') return [{ kind: 'group', server: node.server, group: 'tools' }, { kind: 'group', server: node.server, group: 'sessions' }];
    if (node.kind !== 'group') return [];
    if (node.group === 'sessions') return node.server.sessions.map((session) => ({ kind: 'session', server: node.server.name, session }));
    const client = this.connection.client;
    if (!client) return [];
    try {
      const { tools } = await client.tools(node.server.name);
      if (tools === null) return [{ kind: 'message', label: 'listed once the server has run', icon: 'info' }];
      return tools.map((t) => ({ kind: 'tool', server: node.server.name, name: t.name, description: t.description }));
    } catch {
      return [];
    }
  }

  /** The tree's top level for the current snapshot (exposed for tests, which cannot read a tree view's items). */
  roots(): ServerNode[] {
    const s = this.connection.snapshot;
    if (s.phase === 'starting') return [{ kind: 'message', label: 'Starting gateway host…', icon: 'loading~spin' }];
    if (s.phase === 'unreachable') {
      return [
        { kind: 'message', label: `Gateway host unreachable${s.error ? `: ${s.error}` : ''}`, icon: 'debug-disconnect' },
        { kind: 'message', label: 'Start Gateway Host', icon: 'play', command: { command: 'sharedMcp.up', title: 'Start Gateway Host' } },
      ];
    }
    const servers: ServerNode[] = (s.status?.servers ?? []).map((server) => ({ kind: 'server', server }));
    // The host keeps running the previous config when the file is broken: say so above the servers.
    const configError = s.status?.host?.configError;
    if (configError) servers.unshift({ kind: 'message', label: `Config not applied: ${configError.message}`, icon: 'warning', command: { command: 'sharedMcp.openConfig', title: 'Open Config' } });
    // No servers: an empty tree lets the welcome view (Add Server, Open Config) show.
    return servers;
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private update(snapshot: HostSnapshot): void {
    const servers = snapshot.status?.servers ?? [];
    const running = servers.filter((s) => s.state === 'running').length;
    this.view.description = snapshot.phase === 'connected' && servers.length > 0 ? `${running}/${servers.length} running` : undefined;
    this.onDidChangeTreeDataEmitter.fire(undefined);
  }
}
