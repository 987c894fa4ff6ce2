import type { SyncResult } from '../shared/controlTypes';
import { SYNC_CLIENTS, parseClientId } from '../shared/clients/clientTargets';
import { describeSync, userEntryConflicts } from '../shared/clients/describeSync';
import { SharedMcpError } from '../shared/errors';
import { connect, type CliContext, type Flags } from './commands';

/** `sync`: every shared server into each client's config file (the host writes them); exit 1 when a file could not be written. */
export async function sync(ctx: CliContext, args: string[], flags: Flags): Promise<number> {
  if (args.length > 0) throw new SharedMcpError('USAGE', 'sync takes no server names: it writes every shared server (choose clients with --client)');
  checkClients(flags.clients);
  const { client } = await connect(ctx);
  const result = await client.sync({ dryRun: flags.dryRun, force: flags.force, ...(flags.clients.length > 0 ? { clients: flags.clients } : {}) });
  return print(ctx, result, flags);
}

/** `unsync`: takes out exactly what sync wrote, gives back replaced entries, and pauses automatic syncs. */
export async function unsync(ctx: CliContext, args: string[], flags: Flags): Promise<number> {
  if (args.length > 0) throw new SharedMcpError('USAGE', 'unsync takes no server names (choose clients with --client)');
  checkClients(flags.clients);
  const { client } = await connect(ctx);
  const result = await client.unsync({ dryRun: flags.dryRun, ...(flags.clients.length > 0 ? { clients: flags.clients } : {}) });
  const code = print(ctx, result, flags);
  if (!flags.dryRun && !flags.json && result.paused) ctx.err('automatic syncs are paused until the next `shared-mcp sync`');
  return code;
}

/** Names a user typed for --client, checked before any host is started. */
function checkClients(names: string[]): void {
  const unknown = names.find((n) => !parseClientId(n));
  if (unknown !== undefined) throw new SharedMcpError('USAGE', `unknown client "${unknown}" (one of: ${SYNC_CLIENTS.join(', ')})`);
}

/** Prints a sync result (diffs on a dry run); 1 when a client file could not be read or written. */
export function print(ctx: CliContext, result: SyncResult, flags: Pick<Flags, 'json' | 'dryRun' | 'force'>): number {
  if (flags.json) {
    ctx.out(JSON.stringify(result, null, 2));
  } else if (result.clients.length === 0) {
    ctx.err('no MCP client config found (Claude Code, Codex, Cursor, Gemini CLI, Windsurf, Claude Desktop); name one with --client');
  } else {
    for (const r of result.clients) {
      ctx.out(describeSync(r));
      if (flags.dryRun && r.diff) ctx.out(r.diff.trimEnd());
    }
    if (!flags.force && result.clients.some((r) => userEntryConflicts(r).length > 0)) {
      ctx.err('entries of yours with a shared server\'s name were left alone: `shared-mcp sync --force` replaces them (unsync puts them back)');
    }
  }
  return result.clients.some((r) => r.status === 'error') ? 1 : 0;
}
