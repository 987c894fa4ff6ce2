import type { ClientSyncResult } from '../controlTypes';

/** Why a sync left a name alone when the user has an entry of their own under it (sync --force replaces those). */
export const USER_ENTRY_CONFLICT = 'an entry of yours has this name';

/** The names in a sync result that are the user's own entries (what "Replace Theirs" and --force would replace). */
export function userEntryConflicts(r: ClientSyncResult): string[] {
  return r.conflicts.filter((c) => c.reason === USER_ENTRY_CONFLICT).map((c) => c.name);
}

/**
 * One line per client: "Claude Code (/home/me/.claude.json): added memory; left alone: github (an entry of yours has
 * this name)". `where` is how the file is named in it ('' leaves it out).
 */
export function describeSync(r: ClientSyncResult, where = r.file): string {
  const parts: string[] = [];
  const list = (verb: string, names: string[]): void => {
    if (names.length > 0) parts.push(`${verb} ${names.join(', ')}`);
  };
  list('added', r.added);
  list('updated', r.updated);
  list('replaced', r.replaced);
  list('removed', r.removed);
  list('restored', r.restored);
  if (r.conflicts.length > 0) parts.push(`left alone: ${r.conflicts.map((c) => `${c.name} (${c.reason})`).join(', ')}`);
  list('no longer ours (changed by you):', r.released);
  if (r.error) parts.push(`error: ${r.error}`);
  const status = r.status === 'would-write' ? 'would change' : r.status === 'not-installed' ? 'not installed' : 'unchanged';
  return `${r.label}${where ? ` (${where})` : ''}: ${parts.length > 0 ? parts.join('; ') : status}`;
}
