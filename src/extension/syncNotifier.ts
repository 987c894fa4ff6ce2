import type * as vscode from 'vscode';
import type { HostConnection } from '../client/hostConnection';
import { userEntryConflicts } from '../shared/clients/describeSync';
import type { CommandContext } from './commandUtils';
import { inBackground } from './background';
import { showResult } from './syncCommands';

const SHOWN_KEY = 'sharedMcp.lastSyncWarning';

/**
 * Tells about automatic syncs (after a config change, at host start) that left a user's entry alone or could not
 * write a file, once per distinct problem: another window or a later start does not repeat it.
 */
export class SyncNotifier implements vscode.Disposable {
  private readonly subscription: { dispose(): void };
  private lastAt: string | null | undefined;

  constructor(connection: HostConnection, state: vscode.Memento, ctx: CommandContext) {
    this.subscription = connection.onDidChange((snapshot) => {
      const sync = snapshot.status?.sync;
      if (!sync || sync.lastAt === this.lastAt) return;
      this.lastAt = sync.lastAt;
      const problems = sync.clients.filter((r) => r.status === 'error' || userEntryConflicts(r).length > 0);
      if (problems.length === 0) return;
      const key = JSON.stringify(problems.map((r) => [r.client, r.error ?? null, r.conflicts.map((c) => c.name)]));
      if (state.get<string>(SHOWN_KEY) === key) return;
      inBackground(state.update(SHOWN_KEY, key), 'remembering a sync notice');
      inBackground(showResult('Synced', { paused: sync.paused, clients: problems }, ctx), 'showing a sync notice');
    });
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
