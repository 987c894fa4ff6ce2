import { parse } from 'smol-toml';
import { SharedMcpError } from '../../shared/errors';
import type { ClientFormat, EntryChange, FileEntry } from './clientFormat';
import { removeTomlServerBlock, restoreTomlServerBlock, setTomlServerBlock, tomlServerBlockSource, tomlToJson, type TomlServerEntry } from './tomlServerBlock';

/** Codex's config.toml: each server is a `[mcp_servers.<name>]` table, edited as text (tomlServerBlock proves each edit). */
export class TomlClientFormat implements ClientFormat {
  read(text: string): { entries: Map<string, FileEntry>; hasTable: boolean } {
    let doc: Record<string, unknown>;
    try {
      doc = tomlToJson(parse(text.replace(/^\uFEFF/, ''), { integersAsBigInt: 'asNeeded' })) as Record<string, unknown>;
    } catch (err) {
      throw new SharedMcpError('CONFIG_INVALID', `the file is not valid TOML (${(err as Error).message.split('\n')[0]}); it was not changed`);
    }
    const entries = new Map<string, FileEntry>();
    for (const [name, value] of Object.entries((doc.mcp_servers ?? {}) as Record<string, unknown>)) {
      let source: string | undefined;
      try {
        source = tomlServerBlockSource(text, name);
      } catch {
        source = undefined; // inline or dotted keys: readable, but not ours to cut out
      }
      entries.set(name, { value, text: source });
    }
    return { entries, hasTable: doc.mcp_servers !== undefined };
  }

  apply(text: string, changes: EntryChange[]): string {
    let next = text;
    for (const c of changes) {
      if (c.kind === 'remove') next = removeTomlServerBlock(next, c.name);
      else if (c.kind === 'restore') next = restoreTomlServerBlock(next, c.name, c.text, c.value as TomlServerEntry);
      else next = setTomlServerBlock(next, c.name, c.value as TomlServerEntry);
    }
    return next;
  }
}
