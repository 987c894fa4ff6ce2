import { createHash } from 'node:crypto';

/** Tool names clients accept: letters, digits, _ and -, at most 64 characters counting their own prefix. */
export const MAX_TOOL_NAME_LENGTH = 64;
/** The client config entry name the aggregate is synced under; clients prefix tools with `mcp__<entry>__`. */
export const AGGREGATE_ENTRY_NAME = 'shared-mcp';
const SEPARATOR = '__';
const HASH_LENGTH = 8;

/** How long an aggregate name may be once a client adds `mcp__<entry>__`. */
export function nameBudget(entry = AGGREGATE_ENTRY_NAME): number {
  return MAX_TOOL_NAME_LENGTH - `mcp__${entry}__`.length;
}

/**
 * `<server>__<name>` as the aggregate shows it: other characters become `_`, and a name that had to change or is
 * too long ends in a short hash of the original, so two different originals never meet.
 */
export function aggregateName(server: string, name: string, budget = nameBudget()): string {
  const raw = `${server}${SEPARATOR}${name}`;
  const clean = raw.replace(/[^A-Za-z0-9_-]/g, '_');
  // A `__` inside either part could make two different pairs read the same ("a" + "b__c", "a__b" + "c").
  if (clean === raw && clean.length <= budget && !server.includes(SEPARATOR) && !name.includes(SEPARATOR)) return clean;
  const hash = createHash('sha256').update(`${server}\0${name}`).digest('hex').slice(0, HASH_LENGTH);
  return `${clean.slice(0, budget - HASH_LENGTH - 1)}_${hash}`;
}

export interface AggregateCursor {
  /** The server whose page comes next. */
  server: string;
  /** That server's own cursor, or null for its first page. */
  cursor: string | null;
}

/** An opaque cursor that names the server and carries the server's own cursor. */
export function encodeCursor(c: AggregateCursor): string {
  return Buffer.from(JSON.stringify([c.server, c.cursor])).toString('base64url');
}

export function decodeCursor(text: string): AggregateCursor | undefined {
  try {
    const [server, cursor] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof server !== 'string' || (cursor !== null && typeof cursor !== 'string')) return undefined;
    return { server, cursor };
  } catch {
    return undefined;
  }
}
