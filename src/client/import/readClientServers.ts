import { promises as fs } from 'node:fs';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import { parse as parseToml } from 'smol-toml';
import { isErrnoException } from '../../shared/errors';
import type { ImportScope, ImportSource, SourceFile } from './importSources';

/** A server entry as a client's file holds it. */
export interface FoundServer {
  source: ImportSource;
  scope: ImportScope;
  file: string;
  /** The folder a project or local entry belongs to (the client runs it there). */
  project?: string;
  name: string;
  raw: Record<string, unknown>;
}

export interface ReadResult {
  servers: FoundServer[];
  /** Files that exist but could not be read or parsed: reported, never touched. */
  problems: Array<{ file: string; message: string }>;
}

/** Reads every file that exists; a file that does not parse is reported in one line and skipped. */
export async function readClientServers(files: SourceFile[]): Promise<ReadResult> {
  const result: ReadResult = { servers: [], problems: [] };
  for (const f of files) {
    let text: string;
    try {
      text = await fs.readFile(f.file, 'utf8');
    } catch (err) {
      if (!isErrnoException(err, 'ENOENT') && !isErrnoException(err, 'ENOTDIR')) result.problems.push({ file: f.file, message: `cannot read it: ${(err as Error).message}` });
      continue;
    }
    let doc: Record<string, unknown>;
    try {
      doc = parseFile(text, f.format);
    } catch (err) {
      result.problems.push({ file: f.file, message: (err as Error).message });
      continue;
    }
    const base = { source: f.source, scope: f.scope, file: f.file, ...(f.project ? { project: f.project } : {}) };
    for (const [name, raw] of entriesOf(doc[f.container])) result.servers.push({ ...base, name, raw });
    // Claude Code keeps per-project servers ("local" scope) inside ~/.claude.json.
    if (f.source === 'claude' && f.scope === 'user') {
      for (const [project, settings] of entriesOf(doc.projects)) {
        for (const [name, raw] of entriesOf(settings.mcpServers)) result.servers.push({ ...base, scope: 'local', project, name, raw });
      }
    }
  }
  return result;
}

function parseFile(text: string, format: 'json' | 'toml'): Record<string, unknown> {
  const body = text.replace(/^\uFEFF/, '');
  if (body.trim() === '') return {};
  if (format === 'toml') {
    try {
      return JSON.parse(JSON.stringify(parseToml(body, { integersAsBigInt: 'asNeeded' }), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))) as Record<string, unknown>;
    } catch (err) {
      throw new Error(`not valid TOML (${(err as Error).message.split('\n')[0]})`);
    }
  }
  const errors: ParseError[] = [];
  const doc = parseJsonc(body, errors, { allowTrailingComma: true }) as unknown;
  if (errors.length > 0) {
    const before = body.slice(0, errors[0].offset);
    throw new Error(`does not parse (${printParseErrorCode(errors[0].error)} at ${before.split('\n').length}:${errors[0].offset - before.lastIndexOf('\n')})`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('is not a JSON object');
  return doc as Record<string, unknown>;
}

function entriesOf(v: unknown): Array<[string, Record<string, unknown>]> {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return [];
  return Object.entries(v as Record<string, unknown>).filter((e): e is [string, Record<string, unknown>] => !!e[1] && typeof e[1] === 'object' && !Array.isArray(e[1]));
}
