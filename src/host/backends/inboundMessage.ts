import { MAX_JSON_DEPTH, textDepthExceeds, valueDepthExceeds } from '../../shared/jsonDepth';
import type { ServerLog } from '../logs/serverLog';
import { RPC_INTERNAL_ERROR, RPC_INVALID_REQUEST, errorResponse, type JsonRpcId, type JsonRpcMessage } from './jsonRpc';

/**
 * Handles one message from a server; what the handling throws is noted in the server's log and goes no further:
 * one message's trouble stays with it, and never reaches the stream it was read from (a throw in a stream's data
 * event, or in a transport's onmessage, would end the host).
 */
export function handleSafely(log: Pick<ServerLog, 'line'>, handle: () => void): void {
  try {
    handle();
  } catch (err) {
    noteUnhandled(log, err);
  }
}

/** The server log's note for a message from the server that could not be handled (the message itself is not logged). */
export function noteUnhandled(log: Pick<ServerLog, 'line'>, err: unknown): void {
  log.line('host', `a message from the server could not be handled: ${err instanceof Error ? err.message : String(err)}`);
}

/** One line a server wrote on stdout, as the host sees it. */
export type ServerLine =
  | { kind: 'message'; msg: JsonRpcMessage }
  /** Not JSON, or JSON that is not a message (null, a number, an array): noise, kept in the log. */
  | { kind: 'noise' }
  /** Nested deeper than MAX_JSON_DEPTH: never parsed whole, never passed on. */
  | { kind: 'too-deep'; id: JsonRpcId | undefined; hasMethod: boolean };

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;

/** Parses one stdout line; a line nested too deep is refused before anything is built from it. */
export function parseServerLine(line: Buffer): ServerLine {
  if (mayBeTooDeep(line) && textDepthExceeds(line)) return { kind: 'too-deep', ...topLevelIdAndMethod(line) };
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch {
    return { kind: 'noise' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { kind: 'noise' };
  return { kind: 'message', msg: value as JsonRpcMessage };
}

/** A message the SDK's remote transport parsed: too deep to pass on, or fine. */
export function isTooDeep(msg: unknown): boolean {
  return valueDepthExceeds(msg);
}

/** Fewer opening brackets than the limit cannot nest past it: the exact scan is needed only for the rest. */
function mayBeTooDeep(line: Buffer): boolean {
  let opens = 0;
  for (const bracket of [OPEN_BRACE, OPEN_BRACKET]) {
    for (let i = line.indexOf(bracket); i >= 0; i = line.indexOf(bracket, i + 1)) if (++opens > MAX_JSON_DEPTH) return true;
  }
  return false;
}

/** What the host does with a message from a server that nests too deep, given the top-level id and method. */
export type TooDeepAction =
  /** An answer: its caller gets this error instead. */
  | { kind: 'answer'; reply: JsonRpcMessage; note: string }
  /** A request of the server's: the server gets this error, so it does not wait. */
  | { kind: 'refuse'; reply: JsonRpcMessage; note: string }
  | { kind: 'drop'; note: string };

export function tooDeepAction(id: JsonRpcId | undefined | null, hasMethod: boolean): TooDeepAction {
  const what = `nested deeper than ${MAX_JSON_DEPTH} levels`;
  if (id === undefined || id === null) return { kind: 'drop', note: `dropped a ${hasMethod ? 'notification' : 'message'} from the server: ${what}` };
  if (hasMethod) {
    return {
      kind: 'refuse',
      reply: errorResponse(id, RPC_INVALID_REQUEST, `Invalid Request: the host does not pass on messages ${what}`),
      note: `refused a request from the server (id ${JSON.stringify(id)}): ${what}`,
    };
  }
  return {
    kind: 'answer',
    reply: errorResponse(id, RPC_INTERNAL_ERROR, `the server's answer was ${what}; the host does not pass it on`),
    note: `dropped the server's answer to request ${JSON.stringify(id)}: ${what}; its caller gets an error`,
  };
}

const ID_VALUE = /^\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|"(?:[^"\\]|\\.)*"|null)/;

/**
 * The top-level "id" (when a number or string) and whether a top-level "method" is present, read from JSON text
 * without building it: the text may be too deep to build. Wherever the members sit in the object.
 */
export function topLevelIdAndMethod(text: Buffer): { id: JsonRpcId | undefined; hasMethod: boolean } {
  let depth = 0;
  let expectKey = false;
  let id: JsonRpcId | undefined;
  let hasMethod = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === 0x22) {
      const end = stringEnd(text, i);
      if (depth === 1 && expectKey) {
        const key = text.subarray(i + 1, end).toString('utf8');
        const colon = text.indexOf(0x3a, end + 1);
        if (key === 'method') hasMethod = true;
        if (key === 'id' && colon >= 0) id = parseId(text.subarray(colon + 1, colon + 1 + 256).toString('utf8'));
        expectKey = false;
      }
      i = end;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      depth++;
      expectKey = depth === 1 && c === OPEN_BRACE;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
    } else if (c === 0x2c && depth === 1) {
      expectKey = true;
    }
  }
  return { id, hasMethod };
}

/** The index of the quote that closes the string opened at `start`. */
function stringEnd(text: Buffer, start: number): number {
  for (let i = start + 1; i < text.length; i++) {
    if (text[i] === 0x5c) i++;
    else if (text[i] === 0x22) return i;
  }
  return text.length;
}

function parseId(raw: string): JsonRpcId | undefined {
  const m = ID_VALUE.exec(raw);
  if (!m || m[1] === 'null') return undefined;
  try {
    const v = JSON.parse(m[1]) as unknown;
    return typeof v === 'string' || typeof v === 'number' ? v : undefined;
  } catch {
    return undefined;
  }
}
