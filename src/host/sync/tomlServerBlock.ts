import { isDeepStrictEqual } from 'node:util';
import { parse } from 'smol-toml';
import { SharedMcpError } from '../../shared/errors';

/** What we write for a shared server in Codex's config.toml (Codex ignores `headers` and refuses an inline `bearer_token`). */
export interface CodexServerEntry {
  url: string;
  http_headers: Record<string, string>;
}

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/**
 * Writes (or replaces) the `[mcp_servers.<name>]` table of a Codex config.toml as a text edit: every other byte of
 * the file stays, line endings and a BOM included. The result is parsed again to prove that only that table
 * changed; anything else throws CONFIG_INVALID and the caller writes nothing.
 */
export function setTomlServerBlock(text: string, name: string, entry: CodexServerEntry): string {
  const before = parseToml(text);
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const block = renderBlock(name, entry, eol);
  const span = findBlock(text, name, before);
  let next: string;
  if (span) {
    next = text.slice(0, span.start) + block + text.slice(span.end);
  } else {
    const body = text.replace(/^\uFEFF/, '');
    const bom = text.length > body.length ? '\uFEFF' : '';
    const sep = body.length === 0 ? '' : body.endsWith(eol + eol) || body.endsWith('\n\n') ? '' : body.endsWith('\n') ? eol : eol + eol;
    next = bom + body + sep + block;
  }
  verify(before, parseToml(next), name, entry);
  return next;
}

/** Removes the `[mcp_servers.<name>]` table (and its sub-tables); the text is unchanged when there is none. */
export function removeTomlServerBlock(text: string, name: string): string {
  const before = parseToml(text);
  const span = findBlock(text, name, before);
  if (!span) return text;
  let head = text.slice(0, span.start);
  // A table at the end was appended after a blank line (setTomlServerBlock): take that line too, so a sync and
  // an unsync give the file back byte for byte.
  if (span.end === text.length) head = head.replace(/(\r?\n)\r?\n$/, '$1');
  const next = head + text.slice(span.end);
  verify(before, parseToml(next), name, undefined);
  return next;
}

function renderBlock(name: string, entry: CodexServerEntry, eol: string): string {
  const headers = Object.entries(entry.http_headers)
    .map(([k, v]) => `${tomlKey(k)} = ${JSON.stringify(v)}`)
    .join(', ');
  return [`[mcp_servers.${tomlKey(name)}]`, `url = ${JSON.stringify(entry.url)}`, `http_headers = { ${headers} }`, ''].join(eol);
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
  for (let m; (m = headerRe.exec(text)); ) {
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
    return parse(text.replace(/^\uFEFF/, '')) as Record<string, unknown>;
  } catch (err) {
    throw new SharedMcpError('CONFIG_INVALID', `the file is not valid TOML (${(err as Error).message.split('\n')[0]}); it was not changed`);
  }
}

/** Only our table may differ, and it must hold exactly what we meant to write. */
function verify(before: Record<string, unknown>, after: Record<string, unknown>, name: string, entry: CodexServerEntry | undefined): void {
  const strip = (doc: Record<string, unknown>): Record<string, unknown> => {
    const servers = { ...((doc.mcp_servers ?? {}) as Record<string, unknown>) };
    delete servers[name];
    const rest = { ...doc };
    if (Object.keys(servers).length > 0) rest.mcp_servers = servers;
    else delete rest.mcp_servers;
    return rest;
  };
  // Plain objects on both sides (the parser's may have another prototype).
  const written: unknown = JSON.parse(JSON.stringify(((after.mcp_servers ?? {}) as Record<string, unknown>)[name] ?? null));
  if (!isDeepStrictEqual(strip(before), strip(after)) || !isDeepStrictEqual(written, entry === undefined ? null : JSON.parse(JSON.stringify(entry)))) {
    throw new SharedMcpError('CONFIG_INVALID', `editing [mcp_servers.${name}] would change more than that table; the file was not changed`);
  }
}
