import * as path from 'node:path';
import type { ClientTarget } from '../../shared/clients/clientTargets';
import type { ClientSyncResult } from '../../shared/controlTypes';
import { toSharedMcpError } from '../../shared/errors';
import type { ClientFormat } from './clientFormat';
import { editClientFile } from './clientFileWriter';
import { JsonClientFormat } from './jsonClientFormat';
import { planClientSync, type ClientPlan } from './planClientSync';
import { sha256, type ClientLedger, type SyncLedger } from './syncLedger';
import { TomlClientFormat } from './tomlClientFormat';
import { unifiedDiff } from './unifiedDiff';

export interface ClientSyncOptions {
  dryRun: boolean;
  /** Replace the user's entries of these names (true: all), keeping them for unsync. */
  replace: Set<string> | true;
  isOurs?(name: string, value: unknown): boolean;
  ledger: SyncLedger;
  backupDir: string;
}

/**
 * Brings one client file in line with `desired` (empty: take every entry of ours out) and returns what it did and the
 * ledger for that file afterwards (unchanged on a dry run or an error). A file that does not parse is reported and
 * never written.
 */
export async function syncClient(target: ClientTarget, desired: Map<string, unknown>, led: ClientLedger | undefined, options: ClientSyncOptions): Promise<{ result: ClientSyncResult; ledger: ClientLedger | undefined }> {
  const format: ClientFormat = target.format === 'toml' ? new TomlClientFormat() : new JsonClientFormat(target.container);
  const before: ClientLedger = led && path.resolve(led.file) === path.resolve(target.file) ? led : { file: target.file, entries: {} };
  let plan: ClientPlan | undefined;
  let hadContainer = false;
  let present = new Set<string>();
  const released = new Set(before.released ?? []);
  const isOurs = (name: string, value: unknown): boolean => !released.has(name) && options.isOurs?.(name, value) === true;
  let baselineText: string | null | undefined = null;
  // Only a sync that takes every entry of ours out can give the old bytes back: read them only then.
  if (before.baseline && desired.size === 0) baselineText = await options.ledger.readBaseline(before.baseline);
  try {
    const outcome = await editClientFile(
      target,
      (text, existed) => {
        const current = format.read(text);
        hadContainer = current.hasTable;
        present = new Set(current.entries.keys());
        plan = planClientSync(desired, current.entries, before.entries, { replace: options.replace, isOurs });
        const edited = format.apply(text, plan.changes, { dropEmptyContainer: before.createdContainer === true });
        // The last of ours goes and nobody else wrote since our last write: give back the exact bytes of before.
        const untouched = before.lastWrittenSha !== undefined && existed && sha256(text) === before.lastWrittenSha;
        if (Object.keys(plan.entries).length === 0 && plan.changes.length > 0 && untouched && baselineText !== null) return baselineText ?? null;
        return edited;
      },
      { dryRun: options.dryRun, backupDir: path.join(options.backupDir, target.id) },
    );
    const p = plan as unknown as ClientPlan;
    const result = report(target, p, outcome.written ? 'written' : outcome.after === outcome.before || (outcome.after === null && !outcome.existed) ? 'unchanged' : 'would-write');
    if (options.dryRun) return { result: { ...result, diff: result.status === 'would-write' ? unifiedDiff(target.file, outcome.existed ? outcome.before : null, outcome.after) : '' }, ledger: led };
    if (outcome.backup) result.backup = outcome.backup;
    const next = await nextLedger(target, before, p, outcome, hadContainer, options.ledger);
    // A released name stays released while the user's entry is there.
    const stillReleased = [...new Set([...released, ...p.released])].filter((n) => present.has(n) && !(next?.entries[n] !== undefined));
    if (stillReleased.length === 0) return { result, ledger: next };
    return { result, ledger: { ...(next ?? { file: target.file, entries: {} }), released: stillReleased } };
  } catch (err) {
    const e = toSharedMcpError(err);
    const p = plan as ClientPlan | undefined;
    return { result: { ...report(target, p, 'error'), error: e.message, added: [], updated: [], replaced: [], removed: [], restored: [] }, ledger: led };
  }
}

/** The ledger after a write: the entries, the hash of what is there now, and the baseline for an exact unsync. */
async function nextLedger(target: ClientTarget, before: ClientLedger, plan: ClientPlan, outcome: { before: string; existed: boolean; after: string | null; written: boolean; backup?: string }, hadContainer: boolean, ledger: SyncLedger): Promise<ClientLedger | undefined> {
  const entries = plan.entries;
  if (Object.keys(entries).length === 0) {
    await ledger.dropBaseline(before.baseline);
    return undefined;
  }
  const next: ClientLedger = { file: target.file, entries };
  if (!outcome.written) {
    return { ...before, entries };
  }
  // Adopted entries were in the file before this write: its old bytes hold them, so they are no way back.
  const wasClean = Object.keys(before.entries).length === 0 && plan.adopted.length === 0;
  const stillOurs = before.lastWrittenSha !== undefined && outcome.existed && sha256(outcome.before) === before.lastWrittenSha;
  if (wasClean) {
    await ledger.dropBaseline(before.baseline);
    next.baseline = await ledger.saveBaseline(target.id, outcome.existed ? outcome.backup : undefined);
    next.createdContainer = !hadContainer && target.format === 'json';
  } else if (Object.keys(before.entries).length === 0) {
    await ledger.dropBaseline(before.baseline);
  } else if (stillOurs && before.baseline) {
    next.baseline = before.baseline;
    next.createdContainer = before.createdContainer;
  } else {
    // Someone else wrote the file while entries of ours were in it: its old bytes are no longer the way back.
    await ledger.dropBaseline(before.baseline);
    next.createdContainer = before.createdContainer;
  }
  if (outcome.after !== null) next.lastWrittenSha = sha256(outcome.after);
  return next;
}

function report(target: ClientTarget, plan: ClientPlan | undefined, status: ClientSyncResult['status']): ClientSyncResult {
  return {
    client: target.id,
    label: target.label,
    file: target.file,
    status,
    added: plan?.added ?? [],
    updated: plan?.updated ?? [],
    replaced: plan?.replaced ?? [],
    removed: plan?.removed ?? [],
    restored: plan?.restored ?? [],
    conflicts: plan?.conflicts ?? [],
    released: plan?.released ?? [],
  };
}
