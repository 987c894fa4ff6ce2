import { isDeepStrictEqual } from 'node:util';
import { parse } from 'smol-toml';
import { SharedMcpError } from '../../shared/errors';

/** A server's table: string, boolean and number keys, arrays of strings and inline tables of strings. */
export type TomlServerEntry = Record<string, unknown>;

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Writes (or replaces) the `[mcp_servers.<name>]` table of a Codex config.toml as a text edit: every other byte of
 * the file stays, line endings and a BOM included. The result is parsed again to prove that only that table
 * changed; anything else throws CONFIG_INVALID and the caller writes nothing.
 */
export function setTomlServerBlock(text: string, name: string, entry: TomlServerEntry): string {
  const before = parseToml(text);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const block = renderBlock(name, entry, eol);
  const span = findBlock(text, name, before);
  const next = span ? text.slice(0, span.start) + block + text.slice(span.end) : appendBlock(text, block, eol);
  verify(before, parseEdited(next, name), name, entry);
  return next;
}

/** The exact text of the server's table (header to last line, sub-tables included); undefined when it has none. */
export function tomlServerBlockSource(text: string, name: string): string | undefined {
  const span = findBlock(text, name, parseToml(text));
  return span ? text.slice(span.start, span.end) : undefined;
}

/**
 * Puts a table's original text back in place of the current one (or at the end when there is none): how a user's own
 * entry returns on unsync. `expected` is what that text must parse to; nothing else in the file may change.
 */
export function restoreTomlServerBlock(text: string, name: string, blockText: string, expected: TomlServerEntry): string {
  const before = parseToml(text);
  const span = findBlock(text, name, before);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const block = /\r?\n$/.test(blockText) ? blockText : blockText + eol;
  const next = span ? text.slice(0, span.start) + block + text.slice(span.end) : appendBlock(text, block, eol);
  verify(before, parseEdited(next, name), name, expected);
  return next;
}

/** Removes the `[mcp_servers.<name>]` table (and its sub-tables); the text is unchanged when there is none. */
export function removeTomlServerBlock(text: string, name: string): string {
  const before = parseToml(text);
  const span = findBlock(text, name, before);
  if (!span) return text;
  let head = text.slice(0, span.start);
  let tail = text.slice(span.end);
  // A table is appended after a blank line (setTomlServerBlock): that line goes with it, so a sync and an unsync
  // give the file back byte for byte, and no double blank line is left where it stood.
  if (span.end === text.length) head = head.replace(/(\r?\n)\r?\n$/, '$1');
  else if (/\r?\n\r?\n$/.test(head) && /^\r?\n/.test(tail)) tail = tail.replace(/^\r?\n/, '');
  const next = head + tail;
  verify(before, parseEdited(next, name), name, undefined);
  return next;
}

/** A new table goes at the end, after one blank line. */
function appendBlock(text: string, block: string, eol: string): string {
  const body = text.replace(/^\uFEFF/, '');
  const bom = text.length > body.length ? '\uFEFF' : '';
  const sep = body.length === 0 ? '' : body.endsWith(eol + eol) || body.endsWith('\n\n') ? '' : body.endsWith('\n') ? eol : eol + eol;
  return bom + body + sep + block;
}

function renderBlock(name: string, entry: TomlServerEntry, eol: string): string {
  const lines = Object.entries(entry).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v, `mcp_servers.${name}.${k}`)}`);
  return [`[mcp_servers.${tomlKey(name)}]`, ...lines, ''].join(eol);
}

/** TOML basic strings share JSON's escapes for everything a JSON string can hold. */
function tomlValue(v: unknown, where: string): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) return String(v);
  if (Array.isArray(v)) return `[${v.map((x, i) => tomlValue(x, `${where}[${i}]`)).join(', ')}]`;
  if (v && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${tomlKey(k)} = ${tomlValue(x, `${where}.${k}`)}`).join(', ')} }`;
  throw new SharedMcpError('INTERNAL', `${where}: cannot be written as TOML`);
}

function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : JSON.stringify(key);
}

/**
 * The text span of the server's table: from its header line to the next header that is not one of its own
 * sub-tables (or the end). A server defined any other way (inline under [mcp_servers], dotted keys) throws.
 */
function findBlock(text: string, name: string, parsed: Record<string, unknown>): { start: number; end: number } | undefined {
  const servers = (parsed.mcp_servers ?? {}) as Record<string, unknown>;
  const headerRe = /^[ \t]*\[\[?[ \t]*([^\]\r\n]*?)[ \t]*\]\]?[ \t]*(?:#.*)?$/gm;
  const ours = (key: string): 'self' | 'sub' | undefined => {
    const parts = splitDotted(key);
    if (parts.length < 2 || parts[0] !== 'mcp_servers' || parts[1] !== name) return undefined;
    return parts.length === 2 ? 'self' : 'sub';
  };
  let start: number | undefined;
  // A leading BOM would hide a header on the first line from `^`; a space keeps every offset.
  const scan = text.startsWith('\uFEFF') ? ` ${text.slice(1)}` : text;
  for (let m; (m = headerRe.exec(scan)); ) {
    const kind = ours(m[1]);
    if (start === undefined) {
      if (kind === 'self') start = m.index;
    } else if (kind === undefined) {
      return { start, end: keepTrailingComments(text, start, m.index) };
    }
  }
  if (start !== undefined) return { start, end: keepTrailingComments(text, start, text.length) };
  if (Object.prototype.hasOwnProperty.call(servers, name)) {
    throw new SharedMcpError('CONFIG_INVALID', `mcp_servers.${name} is defined without its own [mcp_servers.${name}] table (inline or dotted keys): edit it by hand, it was not changed`);
  }
  return undefined;
}

/** Comment and blank lines at the end of a block usually introduce what follows: they stay outside the span. */
function keepTrailingComments(text: string, start: number, end: number): number {
  const lines = text.slice(start, end).split(/(?<=\n)/);
  let cut = end;
  for (let i = lines.length - 1; i > 0; i--) {
    if (!/^[ \t]*(#.*)?\r?\n?$/.test(lines[i])) break;
    cut -= lines[i].length;
  }
  return cut;
}

/** Splits a TOML dotted key (bare or quoted parts). */
function splitDotted(key: string): string[] {
  const parts: string[] = [];
  const re = /\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/y;
  let m;
  while (re.lastIndex < key.length && (m = re.exec(key))) parts.push(m[1] !== undefined ? (JSON.parse(`"${m[1]}"`) as string) : (m[2] ?? m[3]));
  return parts;
}

function parseToml(text: string): Record<string, unknown> {
  try {
    return parse(text.replace(/^\uFEFF/, ''), { integersAsBigInt: 'asNeeded' }) as Record<string, unknown>;
  } catch (err) {
    throw new SharedMcpError('CONFIG_INVALID', `the file is not valid TOML (${(err as Error).message.split('\n')[0]}); it was not changed`);
  }
}

/** Our edit, parsed: when it is not TOML, the edit is at fault (a table header inside a user's multi-line string). */
function parseEdited(text: string, name: string): Record<string, unknown> {
  try {
    return parseToml(text);
  } catch {
    throw new SharedMcpError('INTERNAL', `editing [mcp_servers.${name}] would not give valid TOML (the file's layout is unusual there); it was not changed`);
  }
}

/** TOML values as JSON: integers beyond 2^53 come as BigInt, kept exact as text. */
export function tomlToJson(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as unknown;
}

/** Only our table may differ, and it must hold exactly what we meant to write. */
function verify(before: Record<string, unknown>, after: Record<string, unknown>, name: string, entry: TomlServerEntry | undefined): void {
  const strip = (doc: Record<string, unknown>): Record<string, unknown> => {
    const servers = { ...((doc.mcp_servers ?? {}) as Record<string, unknown>) };
    delete servers[name];
    const rest = { ...doc };
    if (Object.keys(servers).length > 0) rest.mcp_servers = servers;
    else delete rest.mcp_servers;
    return rest;
  };
  // Plain objects on both sides (the parser's may have another prototype).
  const written = tomlToJson(((after.mcp_servers ?? {}) as Record<string, unknown>)[name] ?? null);
  if (!isDeepStrictEqual(tomlToJson(strip(before)), tomlToJson(strip(after))) || !isDeepStrictEqual(written, entry === undefined ? null : tomlToJson(entry))) {
    throw new SharedMcpError('CONFIG_INVALID', `editing [mcp_servers.${name}] would change more than that table; the file was not changed`);
  }
}
