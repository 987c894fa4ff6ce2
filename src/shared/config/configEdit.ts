import { applyEdits, modify, parse, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { SharedMcpError } from '../errors';
import { checkServerName } from '../serverName';

/** config.jsonc's servers as written (raw entries by name); text that does not parse throws CONFIG_INVALID. */
export function serversInConfig(text: string): Record<string, unknown> {
  const errors: ParseError[] = [];
  const current = (text.trim() === '' ? {} : parse(text, errors, { allowTrailingComma: true })) as { mcpServers?: Record<string, unknown> } | undefined;
  if (errors.length > 0) throw new SharedMcpError('CONFIG_INVALID', `the config does not parse (${printParseErrorCode(errors[0].error)} at offset ${errors[0].offset}); fix it first, it was not changed`);
  return current?.mcpServers ?? {};
}

/**
 * Adds a server to config text with a minimal edit: the user's comments and formatting stay. Throws CONFIG_INVALID
 * when the text does not parse (it is never rewritten then) and SERVER_EXISTS when the name is taken.
 */
export function addServerToConfig(text: string, name: string, server: Record<string, unknown>): string {
  checkServerName(name);
  if (Object.prototype.hasOwnProperty.call(serversInConfig(text), name)) throw new SharedMcpError('SERVER_EXISTS', `a server named "${name}" is already configured`);
  return insertServers(text, [{ name, entry: server }]);
}

/**
 * Adds several servers in one minimal edit per server, comments kept. Throws CONFIG_INVALID when the text does not
 * parse and SERVER_EXISTS when a name is taken (nothing is added then).
 */
export function addServersToConfig(text: string, servers: Array<{ name: string; entry: Record<string, unknown> }>): string {
  const current = serversInConfig(text);
  const taken = servers.filter((s) => Object.prototype.hasOwnProperty.call(current, s.name));
  if (taken.length > 0) throw new SharedMcpError('SERVER_EXISTS', `already configured: ${taken.map((s) => s.name).join(', ')}`);
  for (const s of servers) checkServerName(s.name);
  return insertServers(text, servers);
}

function insertServers(text: string, servers: Array<{ name: string; entry: Record<string, unknown> }>): string {
  let out = text.trim() === '' ? '{}\n' : text;
  const eol = out.includes('\r\n') ? '\r\n' : '\n';
  for (const s of servers) out = applyEdits(out, modify(out, ['mcpServers', s.name], s.entry, { formattingOptions: { insertSpaces: true, tabSize: 2, eol } }));
  return out;
}

/** The config entry for what a user typed: a URL is a remote server, anything else a stdio command line. */
export function serverEntryFor(launch: string): Record<string, unknown> {
  if (/^https?:\/\//i.test(launch)) return { type: 'http', url: launch };
  const [command, ...args] = splitCommandLine(launch);
  if (!command) throw new SharedMcpError('CONFIG_INVALID', 'the command line is empty');
  return args.length > 0 ? { command, args } : { command };
}

/** Splits a command line as a shell would for plain words and quotes (no variables, no globbing). */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  let word = '';
  let quote: '"' | "'" | undefined;
  let inWord = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quote) {
      if (c === quote) quote = undefined;
      else if (c === '\\' && quote === '"' && i + 1 < line.length) word += line[++i];
      else word += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < line.length) {
      word += line[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new SharedMcpError('CONFIG_INVALID', `unclosed ${quote} quote in the command line`);
  if (inWord) out.push(word);
  return out;
}
