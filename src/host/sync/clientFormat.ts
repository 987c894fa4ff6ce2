import { isDeepStrictEqual } from 'node:util';
import { SharedMcpError } from '../../shared/errors';

/** One server entry as a client file holds it. */
export interface FileEntry {
  value: unknown;
  /** Its exact source text (undefined when it cannot be cut out on its own, e.g. TOML dotted keys). */
  text: string | undefined;
}

/** What to do with one name: write a value (in the file's style), put back a user's original text, or remove it. */
export type EntryChange =
  | { name: string; kind: 'set'; value: unknown }
  | { name: string; kind: 'restore'; value: unknown; text: string }
  | { name: string; kind: 'remove' };

/** Reading and minimally editing one client file format (JSON/JSONC, TOML). */
export interface ClientFormat {
  /** The entries under the file's server table, and whether it has that table; throws CONFIG_INVALID when the text does not parse. */
  read(text: string): { entries: Map<string, FileEntry>; hasTable: boolean };
  /** The text with the changes applied as small edits; proves by parsing again that nothing else changed. */
  apply(text: string, changes: EntryChange[], options: { dropEmptyContainer: boolean }): string;
}

/**
 * Throws unless `after` equals `before` except for the changed entries of `container`, which must hold exactly what
 * was asked (an emptied container may also be gone when `containerMayGo`). Both documents must be plain JSON values
 * (objects with Object.prototype), as jsonc-parser makes them.
 */
export function verifyOnlyEntriesChanged(before: unknown, after: unknown, container: string, changes: EntryChange[], containerMayGo: boolean): void {
  const object = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' && !Array.isArray(v) ? { ...(v as Record<string, unknown>) } : {});
  const b = object(before);
  const a = object(after);
  const bTable = object(b[container]);
  const aTable = object(a[container]);
  for (const c of changes) {
    if (c.kind === 'remove') delete bTable[c.name];
    else bTable[c.name] = JSON.parse(JSON.stringify(c.value)) as unknown;
  }
  const tableOk = isDeepStrictEqual(bTable, aTable) && (container in a || (containerMayGo && Object.keys(bTable).length === 0) || (!(container in b) && Object.keys(bTable).length === 0));
  delete b[container];
  delete a[container];
  if (!tableOk || !isDeepStrictEqual(b, a)) {
    throw new SharedMcpError('INTERNAL', `editing ${container} would change more than the entries of Shared MCP; the file was not changed`);
  }
}
