import * as vscode from 'vscode';
import type { ControlClient } from '../client/controlClient';
import type { HostConnection, HostSnapshot } from '../client/hostConnection';
import { toSharedMcpError } from '../shared/errors';
import { inBackground } from './background';
import type { Secrets } from './secrets';

/**
 * Gives the host the secrets it lacks (status host.missingSecrets) from SecretStorage: on connect, and whenever the
 * host reports missing ones. Each name is handled once per host process, and again only when SecretStorage changes
 * it, so a name VS Code does not have is never looked up in a loop.
 */
export class SecretSync implements vscode.Disposable {
  /** The host process the handled names belong to (pid and start time). */
  private host: string | undefined;
  /** Names pushed, being pushed, or not in SecretStorage, for this host. */
  private readonly handled = new Set<string>();
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly connection: HostConnection,
    private readonly secrets: Secrets,
  ) {
    this.disposables.push(
      connection.onDidChange((s) => this.check(s)),
      secrets.onDidChange((name) => {
        this.handled.delete(name);
        this.check(connection.snapshot);
      }),
    );
  }

  dispose(): void {
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private check(snapshot: HostSnapshot): void {
    const host = snapshot.status?.host;
    const client = this.connection.client;
    if (snapshot.phase !== 'connected' || !host || !client) return;
    const id = `${host.pid}:${host.startedAt}`;
    if (id !== this.host) {
      this.host = id;
      this.handled.clear();
    }
    // A host older than this extension has no missingSecrets: nothing to do.
    const wanted = (host.missingSecrets ?? []).filter((name) => !this.handled.has(name));
    if (wanted.length === 0) return;
    for (const name of wanted) this.handled.add(name);
    inBackground(this.push(client, wanted), 'giving the gateway host its secrets');
  }

  private async push(client: ControlClient, names: string[]): Promise<void> {
    const set: Record<string, string> = {};
    for (const name of names) {
      const value = await this.secrets.get(name);
      if (value !== undefined) set[name] = value;
    }
    const found = Object.keys(set);
    if (found.length === 0) return;
    try {
      await client.setSecrets({ set });
    } catch (err) {
      // Not retried (the names stay handled): setting the secret again, or a new host, tries again.
      void vscode.window.showWarningMessage(`Shared MCP: could not give the gateway host the secret${found.length > 1 ? 's' : ''} ${found.join(', ')}: ${toSharedMcpError(err).message}`);
    }
  }
}
