import type { ClientSyncResult } from '../controlTypes';

/** One line per client: "Claude Code (/home/me/.claude.json): added memory; left alone: github (an entry of yours has this name)". */
export function describeSync(r: ClientSyncResult): string {
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
  return `${r.label} (${r.file}): ${parts.length > 0 ? parts.join('; ') : status}`;
}
