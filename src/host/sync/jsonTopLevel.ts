/** Where a top-level key's value sits in a JSON text. */
export interface ValueSpan {
  /** Offset of the key's opening quote. */
  keyOffset: number;
  offset: number;
  length: number;
  /** The key appears more than once (JSON.parse, and so the client, takes the last one). */
  duplicate: boolean;
}

/** The span of the top-level object itself (a file may start and end with comments); undefined when there is none. */
export function rootObjectSpan(text: string): { offset: number; length: number } | undefined {
  const offset = skipTrivia(text, 0);
  if (text[offset] !== '{') return undefined;
  return { offset, length: valueEnd(text, offset) - offset };
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;
const STAR = 0x2a;
const NEWLINE = 0x0a;

/**
 * Finds the value of `key` in the top-level object of a text already known to parse (JSON or JSONC), without
 * building a tree: one pass over the characters, skipping nested values by depth. A 20 MB ~/.claude.json takes tens
 * of milliseconds this way, against seconds for a full parse tree. Undefined when the key is absent.
 */
export function findTopLevelValue(text: string, key: string): ValueSpan | undefined {
  let i = skipTrivia(text, 0);
  if (text[i] !== '{') return undefined;
  i = skipTrivia(text, i + 1);
  let found: ValueSpan | undefined;
  while (i < text.length && text[i] !== '}') {
    if (text.charCodeAt(i) !== QUOTE) return found;
    const keyOffset = i;
    const keyEnd = stringEnd(text, i);
    const name = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipTrivia(text, keyEnd);
    if (text[i] !== ':') return found;
    const offset = skipTrivia(text, i + 1);
    const end = valueEnd(text, offset);
    if (name === key) {
      if (found) return { ...found, duplicate: true };
      found = { keyOffset, offset, length: end - offset, duplicate: false };
    }
    i = skipTrivia(text, end);
    if (text[i] === ',') i = skipTrivia(text, i + 1);
  }
  return found;
}

/** The offset just after the string that starts at `i`. */
function stringEnd(text: string, i: number): number {
  let j = i + 1;
  for (;;) {
    const c = text.charCodeAt(j);
    if (c === BACKSLASH) j += 2;
    else if (c === QUOTE || Number.isNaN(c)) return j + 1;
    else j++;
  }
}

/** The offset just after the value that starts at `i`: nested objects and arrays skipped by depth. */
function valueEnd(text: string, i: number): number {
  const first = text[i];
  if (first === '"') return stringEnd(text, i);
  if (first !== '{' && first !== '[') {
    let j = i;
    while (j < text.length && !/[\s,}\]/]/.test(text[j])) j++;
    return j;
  }
  let depth = 0;
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === QUOTE) {
      j = stringEnd(text, j);
      continue;
    }
    if (c === SLASH && (text.charCodeAt(j + 1) === SLASH || text.charCodeAt(j + 1) === STAR)) {
      j = skipComment(text, j);
      continue;
    }
    if (c === 0x7b || c === 0x5b) depth++;
    else if (c === 0x7d || c === 0x5d) {
      depth--;
      if (depth === 0) return j + 1;
    }
    j++;
  }
  return j;
}

function skipComment(text: string, i: number): number {
  if (text.charCodeAt(i + 1) === SLASH) {
    const nl = text.indexOf('\n', i);
    return nl < 0 ? text.length : nl;
  }
  const close = text.indexOf('*/', i + 2);
  return close < 0 ? text.length : close + 2;
}

function skipTrivia(text: string, i: number): number {
  let j = i;
  while (j < text.length) {
    const c = text.charCodeAt(j);
    if (c === 0x20 || c === 0x09 || c === NEWLINE || c === 0x0d) j++;
    else if (c === SLASH && (text.charCodeAt(j + 1) === SLASH || text.charCodeAt(j + 1) === STAR)) j = skipComment(text, j);
    else return j;
  }
  return j;
}
