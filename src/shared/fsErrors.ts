import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { isErrnoException } from './errors';

/** What an errno code means, as a user reads it in one line. */
const REASONS: Record<string, string> = {
  EROFS: 'read-only file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  ENOTDIR: 'a file is in the way where a folder must be',
  EISDIR: 'a folder is in the way where a file must be',
  ENOENT: 'no such file or folder',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  EIO: 'input/output error',
};

/** "read-only file system": the reason alone, for a message that names the path already. */
export function fsReason(err: unknown): string {
  if (isErrnoException(err) && err.code !== undefined && REASONS[err.code] !== undefined) return REASONS[err.code];
  return err instanceof Error ? err.message : String(err);
}

/**
 * "read-only file system: /home/me/.cursor/mcp.json": the reason and the path of a failed file operation, for an
 * error a user reads (the path given, else the one the error names); other errors keep their message.
 */
export function describeFsError(err: unknown, file?: string): string {
  if (isErrnoException(err) && err.code !== undefined && REASONS[err.code] !== undefined) {
    const where = file ?? err.path;
    return where ? `${REASONS[err.code]}: ${where}` : REASONS[err.code];
  }
  return err instanceof Error ? err.message : String(err);
}

/** The same failure (code, syscall kept, so callers can still tell them apart), described for a user, naming `file`. */
export function fsError(err: unknown, file: string): Error {
  if (!isErrnoException(err) || err.code === undefined || REASONS[err.code] === undefined) return err instanceof Error ? err : new Error(String(err));
  const described: NodeJS.ErrnoException = new Error(describeFsError(err, file));
  described.code = err.code;
  described.errno = err.errno;
  described.syscall = err.syscall;
  described.path = file;
  return described;
}

/**
 * Makes a folder and its parents. A recursive mkdir reports the real reason only for the last folder: on a read-only
 * file system (or one the user may not write) making a missing parent fails with ENOENT, "no such file or directory".
 * Then the missing folders are made one by one, which names the real reason and the folder it concerns.
 */
export async function makeDir(dir: string, mode?: number): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true, ...(mode === undefined ? {} : { mode }) });
  } catch (err) {
    if (!isErrnoException(err, 'ENOENT')) throw fsError(err, dir);
    throw (await realMkdirError(dir, mode)) ?? fsError(err, dir);
  }
}

/** The error making the first missing folder of `dir` gives (undefined when they could all be made after all). */
async function realMkdirError(dir: string, mode: number | undefined): Promise<Error | undefined> {
  const missing: string[] = [];
  for (let p = path.resolve(dir); ; p = path.dirname(p)) {
    if (await fs.lstat(p).then(() => true, () => false)) break;
    missing.unshift(p);
    if (path.dirname(p) === p) break;
  }
  for (const p of missing) {
    try {
      await fs.mkdir(p, mode === undefined ? undefined : { mode });
    } catch (err) {
      if (!isErrnoException(err, 'EEXIST')) return fsError(err, p);
    }
  }
  return undefined;
}
