import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { SharedMcpError } from './errors';
import { makeDir } from './fsErrors';
import { writeFileAtomic } from './registry';

/** The file a path finally names, following symlinks even to a target that does not exist yet (a dotfiles link). */
export async function linkTarget(file: string): Promise<string> {
  let current = file;
  for (let hops = 0; hops < 40; hops++) {
    const stat = await fs.lstat(current).catch(() => undefined);
    if (!stat?.isSymbolicLink()) return current;
    current = path.resolve(path.dirname(current), await fs.readlink(current));
  }
  throw new SharedMcpError('CONFIG_INVALID', `${file}: too many levels of symbolic links; it was not changed`);
}

/**
 * Replaces a user's file (config.jsonc, a client's config) atomically: a symlink stays a link and the file it points
 * to is replaced, and the file keeps its mode and owner; a new file gets `newMode`. `beforeRename`: see writeFileAtomic.
 */
export async function replaceUserFile(file: string, text: string, newMode = 0o600, beforeRename?: () => void): Promise<void> {
  const real = await linkTarget(file);
  await makeDir(path.dirname(real));
  const stat = await fs.stat(real).catch(() => undefined);
  await writeFileAtomic(real, text, stat ? stat.mode & 0o7777 : newMode, stat ? { uid: stat.uid, gid: stat.gid } : undefined, beforeRename);
}
