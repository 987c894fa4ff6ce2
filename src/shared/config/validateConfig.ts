import Ajv, { type ErrorObject } from 'ajv';
import { findNodeAtLocation, parse, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import schema from '../../../schemas/config.schema.json';
import type { ConfigProblem } from './configTypes';
import { SERVER_NAME_PATTERN, SERVER_NAME_RULE } from '../serverName';
import { parseDurationMs, parseSizeBytes } from '../units';

type Segment = string | number;

export interface RawServer {
  type?: string;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  url?: string;
  headers?: Record<string, string>;
  disabled?: boolean;
  autoStart?: boolean | 'lazy';
  idleTimeout?: number | string;
  startupTimeout?: number | string;
  requestTimeout?: number | string;
  sharing?: string;
  tools?: { enabled?: string[]; disabled?: string[] };
  roots?: string[];
  resourceLimits?: { maxMemory?: number | string; maxRestarts?: number; restartDelay?: number | string; maxMessageSize?: number | string; maxQueueSize?: number | string };
}

export interface RawConfig {
  mcpServers?: Record<string, RawServer>;
  settings?: {
    port?: number;
    portBase?: number;
    logLevel?: string;
    shellEnv?: boolean;
    stopGrace?: number | string;
    maxMessageSize?: number | string;
    maxSessions?: number;
    sessionIdleTimeout?: number | string;
    syncClients?: 'auto' | string[];
    persistSecrets?: boolean;
  };
}

export interface ValidationResult {
  /** Present when there are no errors. */
  raw?: RawConfig;
  errors: ConfigProblem[];
  warnings: ConfigProblem[];
}

const PARSE_MESSAGES: Record<string, string> = {
  InvalidSymbol: 'unexpected character',
  InvalidNumberFormat: 'malformed number',
  PropertyNameExpected: 'property name expected',
  ValueExpected: 'value expected',
  ColonExpected: "':' expected",
  CommaExpected: "',' expected",
  CloseBraceExpected: "'}' expected",
  CloseBracketExpected: "']' expected",
  EndOfFileExpected: 'unexpected content after the end of the document',
  InvalidCommentToken: 'malformed comment',
  UnexpectedEndOfComment: 'unterminated comment',
  UnexpectedEndOfString: 'unterminated string',
  UnexpectedEndOfNumber: 'malformed number',
  InvalidUnicode: 'invalid unicode escape',
  InvalidEscapeCharacter: 'invalid escape character',
  InvalidCharacter: 'invalid character in string',
};

/** At most this many problems are reported for one file. */
export const MAX_PROBLEMS = 50;

/** The schema as editors get it, with the one server-name rule put in (a unit test keeps the file's copy equal). */
const checkedSchema = { ...schema, properties: { ...schema.properties, mcpServers: { ...schema.properties.mcpServers, propertyNames: { pattern: SERVER_NAME_PATTERN.source } } } };
const ajv = new Ajv({ allErrors: true, strict: false, verbose: true });
ajv.addSchema(checkedSchema);
/**
 * Ajv's allErrors mode slows down with the square of the error count, so servers are checked one by one (and
 * checking stops at MAX_PROBLEMS) while the top level is checked without them.
 */
const validateServer = ajv.compile({ $ref: `${schema.$id}#/definitions/server` });
const validateTopLevel = ajv.compile({
  ...checkedSchema,
  $id: `${schema.$id}-top-level`,
  properties: { ...checkedSchema.properties, mcpServers: { ...checkedSchema.properties.mcpServers, additionalProperties: { type: 'object' } } },
});

function schemaErrors(raw: unknown): ErrorObject[] {
  const found: ErrorObject[] = [];
  if (!validateTopLevel(raw)) found.push(...(validateTopLevel.errors ?? []));
  const servers = (raw as RawConfig | undefined)?.mcpServers;
  if (!servers || typeof servers !== 'object' || Array.isArray(servers)) return found;
  for (const [name, server] of Object.entries(servers)) {
    if (found.length >= MAX_PROBLEMS) break;
    if (validateServer(server)) continue;
    const prefix = `/mcpServers/${name.replace(/~/g, '~0').replace(/\//g, '~1')}`;
    found.push(...(validateServer.errors ?? []).map((e) => ({ ...e, instancePath: `${prefix}${e.instancePath}` })));
  }
  return found;
}

/** Parses JSONC text and checks it against the schema and the rules the schema cannot say; never throws. */
export function validateConfigText(input: string): ValidationResult {
  // Editors on Windows may save a byte-order mark; it is not part of the JSON.
  const text = input.charCodeAt(0) === 0xfeff ? ` ${input.slice(1)}` : input;
  const lines = lineStarts(text);
  const at = (offset: number, path: string, message: string): ConfigProblem => ({ path, message, ...position(lines, offset) });

  const parseErrors: ParseError[] = [];
  const raw = parse(text, parseErrors, { allowTrailingComma: true, allowEmptyContent: true }) as unknown;
  if (parseErrors.length > 0) {
    const unique = parseErrors.filter((e, i) => parseErrors.findIndex((o) => o.offset === e.offset && o.error === e.error) === i);
    return {
      errors: unique.slice(0, MAX_PROBLEMS).map((e) => at(e.offset, '', `invalid JSON: ${PARSE_MESSAGES[printParseErrorCode(e.error)] ?? printParseErrorCode(e.error)}`)),
      warnings: [],
    };
  }
  const tree = parseTree(text, [], { allowTrailingComma: true, allowEmptyContent: true });
  if (raw === undefined) return { raw: {}, errors: [], warnings: [] };
  const locate = (segments: Segment[], key = false): number => nodeOffset(tree, segments, key);

  const errors: ConfigProblem[] = [];
  const warnings: ConfigProblem[] = [];
  const seen = new Set<string>();
  const unknownKeys: Segment[][] = [];
  errors.push(...duplicateKeys(tree, (segs, msg) => at(locate(segs, true), formatPath(segs), msg)));
  {
    for (const e of schemaErrors(raw)) {
      // Locating a problem walks the tree: report the first ones, not a hundred thousand.
      if (errors.length + warnings.length >= MAX_PROBLEMS) break;
      const problem = describeAjvError(e, raw);
      if (!problem) continue;
      const key = `${problem.segments.join('\u0000')}|${problem.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const entry = at(locate(problem.locateAt ?? problem.segments, problem.atKey), formatPath(problem.segments), problem.message);
      (problem.warning ? warnings : errors).push(entry);
      if (problem.warning) unknownKeys.push(problem.segments);
    }
  }
  if (errors.length === 0) errors.push(...semanticProblems(raw as RawConfig, (segs, msg) => at(locate(segs, true), formatPath(segs), msg)));
  if (errors.length === 0) warnings.push(...settingsWarnings(raw as RawConfig, (segs, msg) => at(locate(segs, true), formatPath(segs), msg)));
  if (errors.length === 0) warnings.push(...misplacedSecrets(raw as RawConfig, (segs, msg) => at(locate(segs), formatPath(segs), msg)));
  const byPosition = (a: ConfigProblem, b: ConfigProblem): number => a.line - b.line || a.column - b.column;
  errors.sort(byPosition);
  warnings.sort(byPosition);
  return errors.length > 0 ? { errors, warnings } : { raw: withoutKeys(raw as RawConfig, unknownKeys), errors, warnings };
}

interface DescribedError {
  segments: Segment[];
  locateAt?: Segment[];
  atKey?: boolean;
  message: string;
  warning?: boolean;
}

function describeAjvError(e: ErrorObject, raw: unknown): DescribedError | undefined {
  const segments = pointerSegments(e.instancePath, raw);
  switch (e.keyword) {
    case 'additionalProperties': {
      const extra = (e.params as { additionalProperty: string }).additionalProperty;
      return { segments: [...segments, extra], atKey: true, message: 'unknown key (ignored)', warning: true };
    }
    case 'propertyNames':
      return undefined; // reported by its 'pattern' sub-error, which names the property
    case 'pattern':
      if (e.propertyName !== undefined) {
        return {
          segments: [...segments, e.propertyName],
          atKey: true,
          message: `invalid server name: ${SERVER_NAME_RULE}`,
        };
      }
      return { segments, message: `expected ${describeSchema(e.parentSchema)}` };
    case 'type': {
      const last = segments[segments.length - 1];
      if (/\/items\/type$/.test(e.schemaPath) && typeof last === 'number') {
        const arrayPath = segments.slice(0, -1);
        return { segments: arrayPath, locateAt: segments, message: `expected an array of ${(e.params as { type: string }).type}s` };
      }
      return { segments, message: `expected ${describeSchema(e.parentSchema)}` };
    }
    case 'enum':
      return { segments, message: `expected one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum':
      return { segments, message: `expected ${describeSchema(e.parentSchema)}` };
    case 'minLength':
      return { segments, message: 'must not be empty' };
    default:
      return { segments, message: e.message ?? 'invalid value' };
  }
}

function describeSchema(s: unknown): string {
  const sch = (s ?? {}) as { type?: string | string[]; items?: { type?: string }; pattern?: string; minimum?: number; maximum?: number };
  const types = Array.isArray(sch.type) ? sch.type : sch.type ? [sch.type] : [];
  if (types.length === 1 && types[0] === 'array' && sch.items?.type) return `an array of ${sch.items.type}s`;
  if (types.includes('number') && types.includes('string') && sch.pattern?.includes('ms|s|m|h')) return 'a duration such as 1500, "30s" or "5m"';
  if (types.includes('number') && types.includes('string') && sch.pattern?.includes('bkmg')) return 'a size such as 512 (MB), "512M" or "1G"';
  if (types.length === 1 && types[0] === 'integer' && sch.minimum !== undefined && sch.maximum !== undefined) return `an integer from ${sch.minimum} to ${sch.maximum}`;
  if (types.length === 1 && types[0] === 'integer' && sch.minimum !== undefined) return `an integer of at least ${sch.minimum}`;
  if (sch.pattern === '^https?://') return 'an http:// or https:// URL';
  return types.map((t) => `${article(t)} ${t}`).join(' or ') || 'a valid value';
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function semanticProblems(raw: RawConfig, at: (segs: Segment[], msg: string) => ConfigProblem): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [name, s] of Object.entries(raw.mcpServers ?? {})) {
    const base: Segment[] = ['mcpServers', name];
    const remoteType = s.type !== undefined && s.type !== 'stdio';
    if (s.command === undefined && s.url === undefined) problems.push(at(base, 'needs a "command" (stdio server) or a "url" (remote server)'));
    else if (s.command !== undefined && s.url !== undefined) problems.push(at([...base, 'url'], 'set either "command" or "url", not both'));
    else if (s.type === 'stdio' && s.url !== undefined) problems.push(at([...base, 'type'], '"stdio" servers need a "command", not a "url"'));
    else if (remoteType && s.command !== undefined) problems.push(at([...base, 'type'], `"${s.type}" servers need a "url", not a "command"`));
    // 0 would mean "answer every request with a timeout at once": never what anyone wants.
    if (s.requestTimeout !== undefined && !parseDurationMs(s.requestTimeout)) problems.push(at([...base, 'requestTimeout'], 'must be more than 0 (leave it out for the default of 10m)'));
    for (const key of ['maxMemory', 'maxMessageSize', 'maxQueueSize'] as const) {
      const value = s.resourceLimits?.[key];
      if (value !== undefined && !parseSizeBytes(value)) problems.push(at([...base, 'resourceLimits', key], key === 'maxMemory' ? 'must be more than 0 (leave it out for no limit)' : 'must be more than 0 (leave it out for the default)'));
    }
  }
  return problems;
}

/** Keys given twice in one object: JSON parsers keep the last one, silently losing the first definition. */
function duplicateKeys(tree: Node | undefined, at: (segs: Segment[], msg: string) => ConfigProblem): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const walk = (node: Node, segs: Segment[]): void => {
    if (problems.length >= MAX_PROBLEMS) return;
    if (node.type === 'object') {
      const seen = new Set<string>();
      for (const prop of node.children ?? []) {
        const key = prop.children?.[0]?.value as string;
        if (seen.has(key)) problems.push(at([...segs, key], 'duplicate key: only one definition can stand'));
        seen.add(key);
        if (prop.children?.[1]) walk(prop.children[1], [...segs, key]);
      }
    } else if (node.type === 'array') {
      (node.children ?? []).forEach((child, i) => walk(child, [...segs, i]));
    }
  };
  if (tree) walk(tree, []);
  return problems;
}

function settingsWarnings(raw: RawConfig, at: (segs: Segment[], msg: string) => ConfigProblem): ConfigProblem[] {
  const s = raw.settings;
  if (s?.port !== undefined && s.portBase !== undefined && s.port !== s.portBase) {
    return [at(['settings', 'portBase'], `ignored: "port" (${s.port}) is set too`)];
  }
  return [];
}

/** ${secret:NAME} where it is not resolved: left as text, and in args it would be visible to every process. */
function misplacedSecrets(raw: RawConfig, at: (segs: Segment[], msg: string) => ConfigProblem): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const message = 'not resolved here: ${secret:NAME} works only in "env" and "headers" (a process\'s arguments are visible to every user of the machine)';
  for (const [name, s] of Object.entries(raw.mcpServers ?? {})) {
    const fields: Array<[Segment[], string | undefined]> = [
      [['command'], s.command],
      [['url'], s.url],
      [['cwd'], s.cwd],
      ...(s.args ?? []).map((a, i): [Segment[], string] => [['args', i], a]),
    ];
    for (const [segs, value] of fields) if (value?.includes('${secret:')) problems.push(at(['mcpServers', name, ...segs], message));
  }
  return problems;
}

/** A copy of raw without the keys reported as unknown, so nothing downstream trips on them. */
function withoutKeys(raw: RawConfig, keys: Segment[][]): RawConfig {
  if (keys.length === 0) return raw;
  const copy = structuredClone(raw) as Record<string | number, unknown>;
  for (const segs of keys) {
    let node: unknown = copy;
    for (const s of segs.slice(0, -1)) node = (node as Record<string | number, unknown> | undefined)?.[s];
    if (node && typeof node === 'object') delete (node as Record<string | number, unknown>)[segs[segs.length - 1]];
  }
  return copy as RawConfig;
}

/** JSON pointer → path segments; a digit-only part is an index only where it indexes an array ("123" may be a server name). */
function pointerSegments(pointer: string, raw: unknown): Segment[] {
  if (pointer === '') return [];
  const segments: Segment[] = [];
  let node = raw;
  for (const part of pointer.slice(1).split('/').map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    const seg = Array.isArray(node) && /^\d+$/.test(part) ? Number(part) : part;
    segments.push(seg);
    node = (node as Record<string | number, unknown> | undefined)?.[seg];
  }
  return segments;
}

/** mcpServers.github.args[1]; keys that are not identifiers are quoted: mcpServers["my.server"]. */
export function formatPath(segments: Segment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

function nodeOffset(tree: Node | undefined, segments: Segment[], key: boolean): number {
  if (!tree) return 0;
  for (let n = segments.length; n >= 0; n--) {
    const node = findNodeAtLocation(tree, segments.slice(0, n));
    if (!node) continue;
    if (n === segments.length && key && node.parent?.type === 'property') return node.parent.offset;
    return node.offset;
  }
  return 0;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1);
  return starts;
}

function position(starts: number[], offset: number): { line: number; column: number } {
  let lo = 0;
  let hi = starts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (starts[mid] <= offset) lo = mid;
    else hi = mid - 1;
  }
  return { line: lo + 1, column: offset - starts[lo] + 1 };
}
