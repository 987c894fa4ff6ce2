import * as path from 'node:path';
import * as vscode from 'vscode';
import { describeSync, userEntryConflicts } from '../shared/clients/describeSync';
import type { SyncRequest, SyncResult } from '../shared/controlTypes';
import { homePaths } from '../shared/homePaths';
import { busy, control, registerSafe, type CommandContext } from './commandUtils';
import { importServers, type ImportPreset } from './importServers';
import type { Secrets } from './secrets';

export interface SyncCommandContext extends CommandContext {
  secrets: Secrets;
  /** VS Code's User folder (the extension's global storage is two levels under it). */
  vscodeUserDir: string;
}

/** Sync Client Configs, Unsync Client Configs, Import Servers…; each returns what it did (for tests and other extensions). */
export function registerSyncCommands(ctx: SyncCommandContext): vscode.Disposable[] {
  return [
    registerSafe('sharedMcp.syncClients', async (request?: SyncRequest) => {
      const client = await control(ctx);
      const result = await busy('syncing client configs…', () => client.sync(request ?? {}));
      await showResult('Synced', result, ctx);
      return result;
    }),
    registerSafe('sharedMcp.unsyncClients', async (request?: SyncRequest) => {
      if (!request) {
        const ok = await vscode.window.showWarningMessage(
          "Remove the shared servers from the MCP clients' config files?",
          { modal: true, detail: 'Entries of yours that Shared MCP replaced come back. Automatic syncs pause until the next "Sync Client Configs".' },
          'Remove',
        );
        if (ok !== 'Remove') return undefined;
      }
      const client = await control(ctx);
      const result = await busy('removing synced entries…', () => client.unsync(request ?? {}));
      await showResult('Removed from', result, ctx);
      return result;
    }),
    registerSafe('sharedMcp.importServers', async (preset?: ImportPreset) => {
      const client = await control(ctx);
      const configPath = ctx.connection.snapshot.status?.host?.configPath ?? homePaths(ctx.home).config;
      const outcome = await importServers({ client, configPath, secrets: ctx.secrets, vscodeUserDir: ctx.vscodeUserDir }, preset);
      await ctx.connection.refresh();
      if (outcome?.sync) await showResult('Imported; synced', outcome.sync, ctx);
      return outcome;
    }),
  ];
}

/**
 * One message for a sync: what changed per client, or a warning that names the conflicts (with a way to replace
 * them) and the files that could not be written (with a way to open them).
 */
export async function showResult(verb: string, result: SyncResult, ctx: CommandContext): Promise<void> {
  const errors = result.clients.filter((r) => r.status === 'error');
  const conflicts = result.clients.filter((r) => userEntryConflicts(r).length > 0);
  if (errors.length === 0 && conflicts.length === 0) {
    const changed = result.clients.filter((r) => r.status === 'written');
    const what = changed.length === 0 ? 'every client config was already up to date' : changed.map((r) => describeSync(r, '')).join(' · ');
    void vscode.window.showInformationMessage(result.clients.length === 0 ? 'Shared MCP: no MCP client config found on this machine.' : `Shared MCP: ${verb} ${what}`);
    return;
  }
  const lines = [...errors, ...conflicts].map((r) => describeSync(r, path.basename(r.file)));
  const actions = [...(conflicts.length > 0 ? ['Replace Theirs'] : []), ...(errors.length > 0 ? ['Open File'] : [])];
  const pick = await vscode.window.showWarningMessage(`Shared MCP: ${lines.join(' · ')}`, ...actions);
  if (pick === 'Replace Theirs') {
    const replace = Object.fromEntries(conflicts.map((r) => [r.client, userEntryConflicts(r)]));
    const client = await control(ctx);
    await showResult('Synced', await client.sync({ replace }), ctx);
  } else if (pick === 'Open File') {
    await vscode.window.showTextDocument(vscode.Uri.file(errors[0].file), { preview: false });
  }
}
