import { SharedMcpError } from './errors';

/**
 * The deepest nesting of arrays and objects the host accepts in a message, from a client or a server. Real MCP
 * traffic (JSON schemas, tool results) stays far below it; a message thousands deep would make JSON.stringify throw
 * RangeError on the way to the other side (and take the host down with it).
 */
export const MAX_JSON_DEPTH = 512;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

/**
 * Whether JSON text nests deeper than `limit`, without parsing it: brackets inside strings do not count. Works on
 * UTF-8 bytes as well as on a string (the bytes it looks at never occur inside a multi-byte UTF-8 character).
 */
export function textDepthExceeds(text: string | Uint8Array, limit = MAX_JSON_DEPTH): boolean {
  const isString = typeof text === 'string';
  const length = text.length;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < length; i++) {
    const c = isString ? text.charCodeAt(i) : text[i];
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
      if (++depth > limit) return true;
    } else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      depth--;
    }
  }
  return false;
}

/** Whether a parsed value nests deeper than `limit`; iterative, so a hostile value cannot overflow the stack here. */
export function valueDepthExceeds(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop() as [unknown, number];
    if (v === null || typeof v !== 'object') continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v as Record<string, unknown>)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** JSON.parse, refusing text nested deeper than `limit` with PARSE_ERROR (one line that says why). */
export function parseBoundedJson(text: string | Uint8Array, limit = MAX_JSON_DEPTH): unknown {
  if (textDepthExceeds(text, limit)) throw new SharedMcpError('PARSE_ERROR', `Parse error: JSON nested deeper than ${limit} levels`);
  try {
    return JSON.parse(typeof text === 'string' ? text : Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8'));
  } catch {
    throw new SharedMcpError('PARSE_ERROR', 'Parse error: not valid JSON');
  }
}
