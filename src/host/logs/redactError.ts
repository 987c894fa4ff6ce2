import { SharedMcpError, toSharedMcpError } from '../../shared/errors';

/** Details are small plain data (names, a status, a scope); deeper than this is left out rather than walked. */
const MAX_DETAIL_DEPTH = 8;

/**
 * The error with known secret values out of its message and its details' strings, for an error that goes to a client
 * or the control API without passing through a server's state (a per-session server's failed start). The error
 * itself when nothing had to change, so a caller that looks at its class (RpcError) still can.
 */
export function redactError(err: unknown, redact: (text: string) => string): unknown {
  const e = toSharedMcpError(err);
  const message = redact(e.message);
  const details = redactDetails(e.details, redact, 0);
  if (message === e.message && details === e.details) return err;
  return new SharedMcpError(e.code, message, details);
}

/** The same value when no string in it changed. */
function redactDetails(value: unknown, redact: (text: string) => string, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DETAIL_DEPTH) return undefined;
  if (Array.isArray(value)) {
    const items = value.map((v: unknown) => redactDetails(v, redact, depth + 1));
    return items.every((v, i) => v === value[i]) ? value : items;
  }
  const entries = Object.entries(value as Record<string, unknown>);
  const clean = entries.map(([k, v]) => [k, redactDetails(v, redact, depth + 1)] as const);
  return clean.every(([, v], i) => v === entries[i][1]) ? value : Object.fromEntries(clean);
}
