import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { parse, type ParseError } from 'jsonc-parser';
import { SharedMcpError, isErrnoException } from '../errors';
import { writeFileAtomic } from '../registry';

/**
 * Rewrites config.jsonc with `edit` (text in, text out; a missing file reads as ''). A symlinked config (a dotfiles
 * repo) stays a link: the file it points to is replaced, through a temp file and a rename, so the host's watcher
 * never sees half a file; the mode is kept.
 */
export async function updateConfigFile(configFile: string, edit: (text: string) => string): Promise<void> {
  const text = await fs.readFile(configFile, 'utf8').catch((err: unknown) => {
    if (isErrnoException(err, 'ENOENT')) return '';
    throw err;
  });
  const next = edit(text);
  if (next === text) return;
  const target = await fs.realpath(configFile).catch(() => configFile);
  await fs.mkdir(path.dirname(target), { recursive: true });
  const mode = (await fs.stat(target).catch(() => undefined))?.mode ?? 0o600;
  await writeFileAtomic(target, next, mode & 0o777);
}

/** config.jsonc's servers as written (raw entries by name); a config that does not parse throws CONFIG_INVALID. */
export async function readConfiguredServers(configFile: string): Promise<Record<string, unknown>> {
  const text = await fs.readFile(configFile, 'utf8').catch(() => '');
  const errors: ParseError[] = [];
  const doc = (text.trim() === '' ? {} : parse(text, errors, { allowTrailingComma: true })) as { mcpServers?: Record<string, unknown> } | undefined;
  if (errors.length > 0) throw new SharedMcpError('CONFIG_INVALID', `${configFile} does not parse: fix it first (shared-mcp config validate); nothing was changed`);
  return doc?.mcpServers ?? {};
}
