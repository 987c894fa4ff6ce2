import { getNodeValue, parse, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { SharedMcpError } from '../../shared/errors';
import { verifyOnlyEntriesChanged, type ClientFormat, type EntryChange, type FileEntry } from './clientFormat';
import { detectLayout, removeObjectKey, renderJson, setObjectKey } from './jsonObjectEdit';
import { findTopLevelValue, rootObjectSpan, type ValueSpan } from './jsonTopLevel';

const BOM = '\uFEFF';

/**
 * JSON and JSONC client files (Claude Code, Cursor, Gemini CLI, Windsurf, Claude Desktop): servers by name under one
 * top-level key. Edits touch only that object's text (found by one pass over the characters, not a parse tree), so a
 * 20 MB ~/.claude.json is parsed once per sync, and comments, key order, indentation, line endings and a BOM stay.
 */
export class JsonClientFormat implements ClientFormat {
  /** read() and apply() see the same text in one sync: it is parsed once. */
  private memo: { body: string; doc: unknown; table: ValueSpan | undefined } | undefined;

  constructor(private readonly container: string) {}

  read(text: string): { entries: Map<string, FileEntry>; hasTable: boolean } {
    const body = stripBom(text);
    const { table } = this.locate(body);
    const entries = new Map<string, FileEntry>();
    if (!table) return { entries, hasTable: false };
    const obj = body.slice(table.offset, table.offset + table.length);
    for (const prop of parseTree(obj, [], { allowTrailingComma: true })?.children ?? []) {
      const [key, value] = prop.children as Node[];
      entries.set(String(key.value), { value: getNodeValue(value), text: obj.slice(value.offset, value.offset + value.length) });
    }
    return { entries, hasTable: true };
  }

  apply(text: string, changes: EntryChange[], options: { dropEmptyContainer: boolean }): string {
    if (changes.length === 0) return text;
    const bom = text.startsWith(BOM) ? BOM : '';
    const body = stripBom(text);
    const layout = detectLayout(body);
    const { doc, table } = this.locate(body);
    if (!table) {
      const puts = changes.filter((c) => c.kind !== 'remove');
      if (puts.length === 0) return text;
      const value = Object.fromEntries(puts.map((c) => [c.name, c.value]));
      const next = body.trim() === '' ? `${renderJson({ [this.container]: value }, '', layout)}${layout.eol}` : editRoot(body, (root) => setObjectKey(root, '', layout, this.container, { value }));
      verifyOnlyEntriesChanged(doc, parseDoc(next), this.container, changes, false);
      return bom + next;
    }
    const indent = indentOfLine(body, table.keyOffset);
    const before = body.slice(table.offset, table.offset + table.length);
    let obj = before;
    for (const c of changes) {
      if (c.kind === 'remove') obj = removeObjectKey(obj, c.name);
      else obj = setObjectKey(obj, indent, layout, c.name, c.kind === 'restore' ? { text: c.text } : { value: c.value });
    }
    const next = body.slice(0, table.offset) + obj + body.slice(table.offset + table.length);
    if (options.dropEmptyContainer && obj === '{}') {
      const dropped = editRoot(next, (root) => removeObjectKey(root, this.container));
      verifyOnlyEntriesChanged(doc, parseDoc(dropped), this.container, changes, true);
      return bom + dropped;
    }
    // Every byte outside the server object is the file's own, so proving the object holds what we meant is enough.
    verifyOnlyEntriesChanged({ [this.container]: parseDoc(before) }, { [this.container]: parseDoc(obj) }, this.container, changes, false);
    return bom + next;
  }

  /** Parses the file (refusing one that does not parse) and finds the server object without building a tree. */
  private locate(body: string): { doc: unknown; table: ValueSpan | undefined } {
    if (this.memo?.body === body) return this.memo;
    const doc = parseDoc(body);
    if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new SharedMcpError('CONFIG_INVALID', 'the file is not a JSON object; it was not changed');
    const table = body.trim() === '' ? undefined : findTopLevelValue(body, this.container);
    if (table && body[table.offset] !== '{') throw new SharedMcpError('CONFIG_INVALID', `"${this.container}" is not an object; it was not changed`);
    if (table?.duplicate) throw new SharedMcpError('CONFIG_INVALID', `"${this.container}" appears twice at the top level; keep one, it was not changed`);
    this.memo = { body, doc, table };
    return this.memo;
  }
}

/** Applies an edit to the top-level object alone: comments before or after it stay where they are. */
function editRoot(body: string, edit: (root: string) => string): string {
  const root = rootObjectSpan(body) as { offset: number; length: number };
  return body.slice(0, root.offset) + edit(body.slice(root.offset, root.offset + root.length)) + body.slice(root.offset + root.length);
}

function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

/** The document; most files are plain JSON, which JSON.parse reads many times faster than a JSONC parser. */
function parseDoc(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body) as unknown;
  } catch {
    const errors: ParseError[] = [];
    const doc = parse(body, errors, { allowTrailingComma: true }) as unknown;
    if (errors.length > 0) throw notParsed(body, errors[0]);
    return doc;
  }
}

/** The whitespace that starts the line holding `offset`. */
function indentOfLine(text: string, offset: number): string {
  const start = text.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start, offset))?.[0] ?? '';
}

function notParsed(body: string, e: ParseError): SharedMcpError {
  const before = body.slice(0, e.offset);
  const line = before.split('\n').length;
  const column = e.offset - before.lastIndexOf('\n');
  return new SharedMcpError('CONFIG_INVALID', `the file does not parse (${printParseErrorCode(e.error)} at ${line}:${column}); it was not changed`);
}
