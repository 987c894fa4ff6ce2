import { parseTree, type Node } from 'jsonc-parser';
import { SharedMcpError } from '../../shared/errors';

/** How a JSON file is laid out: we write in its style. */
export interface JsonLayout {
  eol: string;
  /** One level of indentation. */
  unit: string;
}

/** What goes at a key: a value we render in the file's style, or text kept verbatim (a user's original entry). */
export type JsonValueText = { value: unknown } | { text: string };

/** The file's line ending and indentation unit (two spaces when it has no indented line). */
export function detectLayout(text: string): JsonLayout {
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const m = /\n([ \t]+)\S/.exec(text);
  const unit = !m ? '  ' : m[1].startsWith('\t') ? '\t' : m[1].length <= 8 ? m[1] : '  ';
  return { eol, unit };
}

/**
 * Sets `key` in the JSON object that `objText` holds (the object's own text, `{…}`, whose first line is indented by
 * `baseIndent` in its file) with the smallest edit: an existing value is replaced in place; a new key goes after the
 * last one, on its own line, in the file's style. Comments and every other byte stay.
 */
export function setObjectKey(objText: string, baseIndent: string, layout: JsonLayout, key: string, content: JsonValueText): string {
  const obj = objectNode(objText);
  const props = obj.children ?? [];
  const existing = props.find((p) => p.children?.[0].value === key);
  if (existing) {
    const value = (existing.children as Node[])[1];
    const text = valueText(content, lineIndent(objText, existing.offset, baseIndent + layout.unit), layout);
    return splice(objText, value.offset, value.length, text);
  }
  const last = props[props.length - 1];
  const indent = last ? lineIndent(objText, last.offset, baseIndent + layout.unit) : baseIndent + layout.unit;
  const prop = `${JSON.stringify(key)}: ${valueText(content, indent, layout)}`;
  if (!last) {
    const inner = objText.slice(1, -1);
    // `{}` becomes a block; an object holding only comments keeps them below the new key.
    if (inner.trim() === '') return `{${layout.eol}${indent}${prop}${layout.eol}${baseIndent}}`;
    return `{${layout.eol}${indent}${prop}${objText.slice(1)}`;
  }
  const end = last.offset + last.length;
  if (!objText.slice(0, end).includes('\n')) return splice(objText, end, 0, `, ${prop}`); // a one-line object stays one line
  const comma = commaAfter(objText, end);
  if (comma >= 0) return splice(objText, lineEnd(objText, comma + 1), 0, `${layout.eol}${indent}${prop},`); // trailing-comma style
  const at = lineEnd(objText, end);
  // The separator goes right after the last value, so a comment at the end of its line stays with it.
  return splice(splice(objText, at, 0, `${layout.eol}${indent}${prop}`), end, 0, ',');
}

/** Removes `key` from the object with the inverse edit of setObjectKey: its line, and the comma that separated it. */
export function removeObjectKey(objText: string, key: string): string {
  const obj = objectNode(objText);
  const props = obj.children ?? [];
  const k = props.findIndex((p) => p.children?.[0].value === key);
  if (k < 0) return objText;
  const prop = props[k];
  const end = prop.offset + prop.length;
  const comma = commaAfter(objText, end);
  const ownLine = lineStart(objText, prop.offset) !== undefined;
  let out: string;
  if (k < props.length - 1) {
    // Followed by another key: the entry and its comma go, with the rest of its line.
    const from = ownLine ? (lineStart(objText, prop.offset) as number) : prop.offset;
    let to = skipSpaces(objText, comma + 1);
    if (ownLine) to = afterEol(objText, lineEnd(objText, to));
    out = splice(objText, from, to - from, '');
  } else {
    const prev = k > 0 ? props[k - 1] : undefined;
    const prevEnd = prev ? prev.offset + prev.length : 0;
    if (prev && !ownLine && comma < 0) {
      out = splice(objText, prevEnd, end - prevEnd, ''); // `, "key": value` on the previous entry's line
    } else {
      const from = ownLine ? eolBefore(objText, prop.offset) : prop.offset;
      const to = lineEnd(objText, comma >= 0 ? comma + 1 : end);
      out = splice(objText, from, to - from, '');
      // The previous entry's separator goes too; in trailing-comma style it stays, as the new trailing comma.
      const sep = prev && comma < 0 ? commaAfter(out, prevEnd) : -1;
      if (sep >= 0) out = splice(out, sep, 1, '');
    }
  }
  return out.slice(1, -1).trim() === '' ? '{}' : out;
}

/** The exact source text of `key`'s value, for keeping a user's entry verbatim; undefined when absent. */
export function objectKeySource(objText: string, key: string): string | undefined {
  const prop = (objectNode(objText).children ?? []).find((p) => p.children?.[0].value === key);
  const value = prop?.children?.[1];
  return value ? objText.slice(value.offset, value.offset + value.length) : undefined;
}

/** A value as the file would have written it: indented continuation lines, the file's line ending. */
export function renderJson(value: unknown, indent: string, layout: JsonLayout): string {
  return JSON.stringify(value, null, layout.unit).split('\n').join(`${layout.eol}${indent}`);
}

function valueText(content: JsonValueText, indent: string, layout: JsonLayout): string {
  return 'text' in content ? content.text : renderJson(content.value, indent, layout);
}

function objectNode(objText: string): Node {
  const node = parseTree(objText, [], { allowTrailingComma: true, disallowComments: false });
  if (!node || node.type !== 'object') throw new SharedMcpError('INTERNAL', 'the server table is not a JSON object; the file was not changed');
  return node;
}

function splice(text: string, offset: number, length: number, insert: string): string {
  return text.slice(0, offset) + insert + text.slice(offset + length);
}

/** Offset of the comma that follows `pos` across whitespace and comments; -1 when the next token is something else. */
export function commaAfter(text: string, pos: number): number {
  const at = skipTrivia(text, pos);
  return text[at] === ',' ? at : -1;
}

function skipTrivia(text: string, pos: number): number {
  let i = pos;
  for (;;) {
    while (i < text.length && /\s/.test(text[i])) i++;
    if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      i = close < 0 ? text.length : close + 2;
    } else {
      return i;
    }
  }
}

function skipSpaces(text: string, pos: number): number {
  let i = pos;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

/** The end of the line at `pos` when only spaces and a line comment follow there; else `pos` itself. */
function lineEnd(text: string, pos: number): number {
  const m = /^[ \t]*(\/\/[^\r\n]*)?(?=\r?\n|$)/.exec(text.slice(pos, pos + 4096));
  return m ? pos + m[0].length : pos;
}

function afterEol(text: string, pos: number): number {
  if (text.startsWith('\r\n', pos)) return pos + 2;
  return text[pos] === '\n' ? pos + 1 : pos;
}

/** Start of `pos`'s line when only whitespace precedes `pos` on it (and it is not the text's first line). */
function lineStart(text: string, pos: number): number | undefined {
  const nl = text.lastIndexOf('\n', pos - 1);
  if (nl < 0) return undefined;
  return /^[ \t]*$/.test(text.slice(nl + 1, pos)) ? nl + 1 : undefined;
}

/** Where the line break before `pos`'s line begins (its \r when CRLF). */
function eolBefore(text: string, pos: number): number {
  const nl = text.lastIndexOf('\n', pos - 1);
  return text[nl - 1] === '\r' ? nl - 1 : nl;
}

/** The indentation of `pos`'s line when `pos` starts it; else `fallback`. */
function lineIndent(text: string, pos: number, fallback: string): string {
  const start = lineStart(text, pos);
  return start === undefined ? fallback : text.slice(start, pos);
}
