import { promises as fs } from 'node:fs';
import { SharedMcpError, isErrnoException } from '../errors';
import { replaceUserFile } from '../replaceFile';
import { serversInConfig } from './configEdit';

/** A config file's text; a missing file reads as empty, any other failure is CONFIG_INVALID. */
export async function readConfigText(file: string): Promise<string> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if (isErrnoException(err, 'ENOENT')) return '';
    throw new SharedMcpError('CONFIG_INVALID', `cannot read ${file}: ${(err as Error).message}`);
  }
}

/**
 * Rewrites config.jsonc with `edit` (text in, text out; a missing file reads as ''). A symlinked config (a dotfiles
 * repo) stays a link: the file it points to is replaced, through a temp file and a rename, so the host's watcher
 * never sees half a file; the mode is kept.
 */
export async function updateConfigFile(configFile: string, edit: (text: string) => string): Promise<void> {
  const text = await readConfigText(configFile);
  const next = edit(text);
  if (next !== text) await replaceUserFile(configFile, next);
}

/** config.jsonc's servers as written (raw entries by name); a config that does not parse throws CONFIG_INVALID. */
export async function readConfiguredServers(configFile: string): Promise<Record<string, unknown>> {
  return serversInConfig(await readConfigText(configFile));
}
