import { isDeepStrictEqual } from 'node:util';
import { USER_ENTRY_CONFLICT } from '../../shared/clients/describeSync';
import type { EntryChange, FileEntry } from './clientFormat';
import type { LedgerEntry } from './syncLedger';

export interface SyncConflict {
  name: string;
  reason: string;
}

/** What one sync does to one client file, by name. */
export interface ClientPlan {
  changes: EntryChange[];
  /** The ledger's entries for this file afterwards. */
  entries: Record<string, LedgerEntry>;
  added: string[];
  updated: string[];
  /** The user's own entry replaced by ours (kept in the ledger for unsync). */
  replaced: string[];
  removed: string[];
  /** The user's own entry put back in place of ours. */
  restored: string[];
  /** Names we did not write because the user's entry is there. */
  conflicts: SyncConflict[];
  /** Our entries the user has since changed: theirs now, never touched again. */
  released: string[];
  /** Entries of ours the ledger did not list, recognized by isOurs. */
  adopted: string[];
}

export interface PlanOptions {
  /** Replace the user's entries of these names (true: every name) and keep them for unsync. */
  replace: Set<string> | true;
  /**
   * Recognizes an entry of ours the ledger does not list (a crash between writing the file and the ledger, a lost
   * ledger): one that carries the host's own token to its own endpoint for that name.
   */
  isOurs?(name: string, value: unknown): boolean;
}

/**
 * Decides, from what the file holds and what the ledger says we wrote, how to make the file carry `desired` (entries
 * by name; an empty map takes ours out). An entry is ours only while it holds exactly what we wrote; anything else
 * is the user's and is replaced only when asked, keeping the original.
 */
export function planClientSync(desired: Map<string, unknown>, current: Map<string, FileEntry>, ledger: Record<string, LedgerEntry>, options: PlanOptions): ClientPlan {
  const adopted = [...current].filter(([name, e]) => ledger[name] === undefined && options.isOurs?.(name, e.value)).map(([name]) => name);
  const plan: ClientPlan = { changes: [], entries: {}, added: [], updated: [], replaced: [], removed: [], restored: [], conflicts: [], released: [], adopted };
  const names = [...new Set([...desired.keys(), ...Object.keys(ledger), ...adopted])];
  for (const name of names) {
    const want = desired.has(name) ? normalize(desired.get(name)) : undefined;
    const cur = current.get(name);
    const led = ledger[name] ?? (adopted.includes(name) ? { written: cur?.value } : undefined);
    const ours = led !== undefined && cur !== undefined && same(cur.value, led.written);
    if (want !== undefined) {
      if (!cur) {
        plan.changes.push({ name, kind: 'set', value: want });
        plan.entries[name] = { written: want };
        plan.added.push(name);
      } else if (ours) {
        if (!same(cur.value, want)) {
          plan.changes.push({ name, kind: 'set', value: want });
          plan.updated.push(name);
        }
        plan.entries[name] = { ...led, written: want };
      } else if (same(cur.value, want)) {
        // Exactly our entry, written by someone else (by hand, from the README): nothing to do, and not ours to remove
        // unless it was ours before.
        if (led) plan.entries[name] = { ...led, written: want };
      } else {
        if (led) plan.released.push(name);
        if (options.replace === true || options.replace.has(name)) {
          if (cur.text === undefined) {
            plan.conflicts.push({ name, reason: 'defined inline (not as its own table): change it by hand' });
          } else {
            plan.changes.push({ name, kind: 'set', value: want });
            plan.entries[name] = { written: want, original: { value: cur.value, text: cur.text } };
            plan.replaced.push(name);
          }
        } else {
          plan.conflicts.push({ name, reason: led ? 'our entry was changed since we wrote it' : USER_ENTRY_CONFLICT });
        }
      }
    } else if (ours) {
      if (led.original) {
        plan.changes.push({ name, kind: 'restore', value: led.original.value, text: led.original.text });
        plan.restored.push(name);
      } else {
        plan.changes.push({ name, kind: 'remove' });
        plan.removed.push(name);
      }
    } else if (cur) {
      plan.released.push(name); // changed by the user since: theirs
    }
  }
  return plan;
}

/** Values compare as JSON (a TOML parser's objects and ours have different prototypes). */
function same(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(normalize(a), normalize(b));
}

function normalize(v: unknown): unknown {
  return v === undefined ? undefined : (JSON.parse(JSON.stringify(v)) as unknown);
}
