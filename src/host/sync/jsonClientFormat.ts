import { getNodeValue, parse, parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser';
import { SharedMcpError } from '../../shared/errors';
import { verifyOnlyEntriesChanged, type ClientFormat, type EntryChange, type FileEntry } from './clientFormat';
import { detectLayout, removeObjectKey, renderJson, setObjectKey } from './jsonObjectEdit';

const BOM = '\uFEFF';

/**
 * JSON and JSONC client files (Claude Code, Cursor, Gemini CLI, Windsurf, Claude Desktop): servers by name under one
 * top-level key. Edits touch only that object's text, so a 20 MB ~/.claude.json is parsed once per change set, and
 * comments, key order, indentation, line endings and a BOM stay as they were.
 */
export class JsonClientFormat implements ClientFormat {
  constructor(private readonly container: string) {}

  read(text: string): { entries: Map<string, FileEntry>; hasTable: boolean } {
    const body = stripBom(text);
    const entries = new Map<string, FileEntry>();
    const table = this.table(body);
    for (const prop of table?.children ?? []) {
      const [key, value] = prop.children as Node[];
      entries.set(String(key.value), { value: getNodeValue(value), text: body.slice(value.offset, value.offset + value.length) });
    }
    return { entries, hasTable: table !== undefined };
  }

  apply(text: string, changes: EntryChange[], options: { dropEmptyContainer: boolean }): string {
    if (changes.length === 0) return text;
    const bom = text.startsWith(BOM) ? BOM : '';
    const body = stripBom(text);
    const layout = detectLayout(body);
    const table = this.table(body);
    let next: string;
    if (!table) {
      const puts = changes.filter((c) => c.kind !== 'remove');
      if (puts.length === 0) return text;
      const value = Object.fromEntries(puts.map((c) => [c.name, c.value]));
      next = body.trim() === '' ? `${renderJson({ [this.container]: value }, '', layout)}${layout.eol}` : setObjectKey(body, '', layout, this.container, { value });
    } else {
      const indent = indentOfLine(body, table.parent?.offset ?? table.offset);
      let obj = body.slice(table.offset, table.offset + table.length);
      for (const c of changes) {
        if (c.kind === 'remove') obj = removeObjectKey(obj, c.name);
        else obj = setObjectKey(obj, indent, layout, c.name, c.kind === 'restore' ? { text: c.text } : { value: c.value });
      }
      next = body.slice(0, table.offset) + obj + body.slice(table.offset + table.length);
      if (options.dropEmptyContainer && obj === '{}') next = removeObjectKey(next, this.container);
    }
    verifyOnlyEntriesChanged(parseDoc(body), parseDoc(next), this.container, changes, options.dropEmptyContainer);
    return bom + next;
  }

  /** The server object's node; undefined when the file or the key is absent. */
  private table(body: string): Node | undefined {
    if (body.trim() === '') return undefined;
    const errors: ParseError[] = [];
    const root = parseTree(body, errors, { allowTrailingComma: true, disallowComments: false });
    if (errors.length > 0) throw notParsed(body, errors[0]);
    if (!root || root.type !== 'object') throw new SharedMcpError('CONFIG_INVALID', 'the file is not a JSON object; it was not changed');
    const prop = root.children?.find((p) => p.children?.[0].value === this.container);
    const value = prop?.children?.[1];
    if (value && value.type !== 'object') throw new SharedMcpError('CONFIG_INVALID', `"${this.container}" is not an object; it was not changed`);
    return value;
  }
}

function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(1) : text;
}

function parseDoc(body: string): unknown {
  if (body.trim() === '') return {};
  try {
    return JSON.parse(body) as unknown; // most files are plain JSON, and JSON.parse is several times faster
  } catch {
    return parse(body, [], { allowTrailingComma: true });
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
