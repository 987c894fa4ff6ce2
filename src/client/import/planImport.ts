import { isDeepStrictEqual } from 'node:util';
import { SYNC_CLIENTS } from '../../shared/clients/clientTargets';
import { SERVER_NAME_RULE, isServerName } from '../../shared/serverName';
import { SOURCE_LABELS } from './importSources';
import { normalizeServer, type NormalizeOptions } from './normalizeServer';
import type { FoundServer, ReadResult } from './readClientServers';

const SCOPE_RANK = { user: 0, local: 1, project: 2 } as const;

/** One server to import, under its original name (so permission rules like mcp__<name>__<tool> keep working). */
export interface ImportCandidate {
  name: string;
  entry: Record<string, unknown>;
  /** Every client entry it stands for: the same name with the same definition. */
  from: FoundServer[];
  notes: string[];
}

export interface ImportIssue {
  name: string;
  /** "Claude Code (project /src/app)" */
  where: string;
  file: string;
  reason: string;
}

export interface ImportPlan {
  /** New for config.jsonc. */
  add: ImportCandidate[];
  /** Already in config.jsonc with this very definition. */
  present: ImportCandidate[];
  skipped: ImportIssue[];
  /** Same name, another definition: the first (user scope first, then Claude Code, Codex, …) wins. */
  conflicts: ImportIssue[];
  /** Files that exist but do not parse (never touched). */
  problems: ReadResult['problems'];
}

/** Normalizes, deduplicates and checks what the clients hold against config.jsonc's servers (by name). */
export function planImport(read: ReadResult, existing: Record<string, unknown>, options: NormalizeOptions = {}): ImportPlan {
  const plan: ImportPlan = { add: [], present: [], skipped: [], conflicts: [], problems: read.problems };
  const byName = new Map<string, ImportCandidate>();
  const ordered = [...read.servers].sort((a, b) => SCOPE_RANK[a.scope] - SCOPE_RANK[b.scope]);
  for (const found of ordered) {
    const issue = (reason: string): ImportIssue => ({ name: found.name, where: describeSource(found), file: found.file, reason });
    if (!isServerName(found.name)) {
      plan.skipped.push(issue(`the name is not one Shared MCP accepts (${SERVER_NAME_RULE})`));
      continue;
    }
    const n = normalizeServer(found, options);
    if ('skip' in n) {
      plan.skipped.push(issue(n.skip));
      continue;
    }
    const seen = byName.get(found.name);
    if (seen) {
      if (isDeepStrictEqual(seen.entry, n.entry)) seen.from.push(found);
      else plan.conflicts.push(issue(`differs from the one in ${describeSource(seen.from[0])}, which is imported (rename one to import both)`));
      continue;
    }
    const candidate: ImportCandidate = { name: found.name, entry: n.entry, from: [found], notes: n.notes };
    byName.set(found.name, candidate);
  }
  for (const c of byName.values()) {
    const mine = existing[c.name];
    if (mine === undefined) plan.add.push(c);
    else if (isDeepStrictEqual(JSON.parse(JSON.stringify(mine)), c.entry)) plan.present.push(c);
    else plan.conflicts.push({ name: c.name, where: describeSource(c.from[0]), file: c.from[0].file, reason: 'Shared MCP already has another server of this name' });
  }
  return plan;
}

/** The user-scope client entries `import --replace` swaps for the shared server, by client id. */
export function replaceTargets(candidates: ImportCandidate[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const c of candidates) {
    for (const f of c.from) {
      if (f.scope !== 'user' || !(SYNC_CLIENTS as readonly string[]).includes(f.source)) continue;
      const names = (out[f.source] ??= []);
      if (!names.includes(c.name)) names.push(c.name);
    }
  }
  return out;
}

/**
 * Entries a replace cannot reach, which keep starting their own copy: project files, Claude Code's per-project
 * entries, and VS Code's mcp.json (VS Code also gets every shared server from the extension).
 */
export function notReplaced(candidates: ImportCandidate[]): ImportIssue[] {
  return candidates.flatMap((c) =>
    c.from
      .filter((f) => f.scope !== 'user' || !(SYNC_CLIENTS as readonly string[]).includes(f.source))
      .map((f) => ({
        name: c.name,
        where: describeSource(f),
        file: f.file,
        reason: f.source === 'vscode' && f.scope === 'user' ? 'VS Code gets the shared one from Shared MCP: remove this entry to stop its own copy' : 'still defined there: remove it there to use the shared one in that project',
      })),
  );
}

export function describeSource(f: FoundServer): string {
  const label = SOURCE_LABELS[f.source];
  return f.scope === 'user' ? label : `${label} (${f.scope === 'local' ? 'local' : 'project'} ${f.project})`;
}
