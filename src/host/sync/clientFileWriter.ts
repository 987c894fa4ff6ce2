import { closeSync, fstatSync, openSync, promises as fs, readSync, rmSync, statSync, type BigIntStats } from 'node:fs';
import { randomBytes } from 'node:crypto';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { lock } from 'proper-lockfile';
import { SharedMcpError, isErrnoException } from '../../shared/errors';
import { describeFsError, fsError, fsReason, makeDir } from '../../shared/fsErrors';
import { linkTarget, replaceUserFile } from '../../shared/replaceFile';

/** proper-lockfile's default, and Claude Code's: a lock whose mtime is older than this was abandoned. */
export const CLIENT_LOCK_STALE_MS = 10_000;
/** How long we wait for a client that holds its lock (Claude Code holds it for a single write). */
export const CLIENT_LOCK_WAIT_MS = 5000;
/** Another program rewrote the file between our read and our write this many times in a row: give up for now. */
export const MAX_WRITE_ATTEMPTS = 5;
/** Tries that compute the edit before taking a client's lock (so a 20 MB file is not parsed while the client waits). */
export const OPTIMISTIC_ATTEMPTS = 2;
/**
 * A file that reads as empty but changed less than this long ago is most likely being rewritten in place (truncated,
 * not yet written) by its own program: it is read again until it has content or has stayed empty this long. Taken
 * for an empty config, it would be replaced by our entries alone, and everything else in it lost.
 */
export const EMPTY_FILE_SETTLE_MS = 500;
const EMPTY_FILE_POLL_MS = 10;
/** Per-write backups kept for each client file (a 20 MB ~/.claude.json makes this 200 MB at most). */
export const BACKUPS_KEPT = 10;

export interface ClientFile {
  /** The path the client reads (it may be a symlink: the file it points to is the one replaced). */
  file: string;
  /** The client's own lock (proper-lockfile's directory `<file>.lock`), when it has one. */
  lockFile?: string;
}

export interface EditOutcome {
  /** The text the edit was computed from ('' when the file did not exist). */
  before: string;
  existed: boolean;
  /** What the file holds now (or would hold, on a dry run); null when it is (or would be) deleted. */
  after: string | null;
  written: boolean;
  /** The copy of `before` taken just before writing. */
  backup?: string;
}

/**
 * Applies `edit` to a file other programs write too. The edit is first computed without holding any lock; the write
 * happens under the client's lock (when it has one), and only if the file is still byte for byte what the edit saw,
 * checked right before the rename with nothing awaited in between (else it starts over, and after
 * OPTIMISTIC_ATTEMPTS computes the edit under the lock), through a temp file and a rename that keep the file's mode
 * and owner. `edit` returns the new text, the same to change nothing, or null to delete the file; what it throws (a
 * file that does not parse) leaves the file untouched.
 */
export async function editClientFile(target: ClientFile, edit: (text: string, existed: boolean) => string | null, options: { dryRun: boolean; backupDir: string }): Promise<EditOutcome> {
  for (let attempt = 1; ; attempt++) {
    // A client that writes its file again and again (under its lock) would starve the optimistic way: then the edit
    // is computed while holding the lock, which always makes progress.
    const locked = target.lockFile !== undefined && attempt > OPTIMISTIC_ATTEMPTS && !options.dryRun;
    let release = locked ? await takeLock(target) : undefined;
    try {
      const seen = await readSettled(target.file);
      const before = seen ? decodeUtf8(seen, target.file) : '';
      const after = edit(before, seen !== undefined);
      const same = after === null ? seen === undefined : seen !== undefined && after === before;
      if (same || options.dryRun) return { before, existed: seen !== undefined, after, written: false };
      if (!release) {
        // The client's lock lives beside its file: a first write into a folder not made yet needs the folder first.
        if (!seen) await makeDir(path.dirname(target.file));
        release = await takeLock(target);
      }
      // A cheap early look first (no backup for an edit that is stale already); the check that counts is the last one.
      if (sameBytes(await readBytes(target.file), seen)) {
        const backup = seen ? await writeBackup(options.backupDir, target.file, seen) : undefined;
        if (await write(target.file, after, () => stillAsSeen(target.file, seen))) return { before, existed: seen !== undefined, after, written: true, ...(backup ? { backup } : {}) };
      }
      if (attempt >= MAX_WRITE_ATTEMPTS) throw new SharedMcpError('TIMEOUT', `${target.file} kept changing while we wrote it (${attempt} tries); it was not changed`);
      // The finally releases the lock; the edit is computed again on the new text.
    } finally {
      await release?.();
    }
  }
}

/** Another program wrote the file after the edit was computed: the write stops, and the edit is made again. */
class FileChanged extends Error {}

/** Writes (or, for null, deletes) the file unless `unchanged()` says another program wrote it meanwhile: then false. */
async function write(file: string, text: string | null, unchanged: () => boolean): Promise<boolean> {
  const check = (): void => {
    if (!unchanged()) throw new FileChanged(`${file} changed while we wrote it`);
  };
  try {
    if (text === null) {
      const real = await linkTarget(file);
      check();
      try {
        rmSync(real, { force: true });
      } catch (err) {
        throw new SharedMcpError('INTERNAL', `cannot remove ${file}: ${describeFsError(err, real)}`);
      }
    } else {
      await replaceFile(file, text, check);
    }
    return true;
  } catch (err) {
    if (err instanceof FileChanged) return false;
    throw err;
  }
}

/**
 * Whether the file holds exactly `seen` (absent for undefined). Synchronous on purpose, and the path looked up last:
 * called right before the rename, so that only the rename's own system call is left for another program's write to
 * slip into (without a lock that program honours, nothing closes that gap: Node has no renameat2 RENAME_EXCHANGE).
 */
function stillAsSeen(file: string, seen: Buffer | undefined): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    if (isErrnoException(err, 'ENOENT')) return seen === undefined;
    throw new SharedMcpError('CONFIG_INVALID', `cannot read ${file}: ${fsReason(err)}`);
  }
  let read: BigIntStats;
  try {
    read = fstatSync(fd, { bigint: true });
    if (seen === undefined || read.size !== BigInt(seen.length) || !readFully(fd, seen.length + 1).equals(seen)) return false;
  } finally {
    closeSync(fd);
  }
  // Still the same file at that path (a writer that renames its new file into place replaces it), not rewritten in place.
  const now = statSync(file, { bigint: true, throwIfNoEntry: false });
  return now !== undefined && now.ino === read.ino && now.dev === read.dev && now.size === read.size && now.mtimeNs === read.mtimeNs && now.ctimeNs === read.ctimeNs;
}

function sameBytes(a: Buffer | undefined, b: Buffer | undefined): boolean {
  return a === undefined || b === undefined ? a === b : a.equals(b);
}

/** Up to `limit` bytes from the start of an open file (fewer at its end). */
function readFully(fd: number, limit: number): Buffer {
  const buf = Buffer.allocUnsafe(limit);
  let got = 0;
  while (got < limit) {
    const n = readSync(fd, buf, got, limit - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/** Text only when the bytes are UTF-8: a file in another encoding would not survive a decode and encode unchanged. */
function decodeUtf8(bytes: Buffer, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new SharedMcpError('CONFIG_INVALID', `${path.basename(file)} is not UTF-8 text (saved in another encoding?); it was not changed`);
  }
}

/** The file's bytes, waiting out an empty read of a file just truncated (EMPTY_FILE_SETTLE_MS). */
async function readSettled(file: string): Promise<Buffer | undefined> {
  for (;;) {
    const bytes = await readBytes(file);
    if (bytes === undefined || bytes.length > 0) return bytes;
    const changedAt = (await fs.stat(file).catch(() => undefined))?.mtimeMs;
    if (changedAt === undefined || Date.now() - changedAt >= EMPTY_FILE_SETTLE_MS) return bytes;
    await sleep(EMPTY_FILE_POLL_MS);
  }
}

async function readBytes(file: string): Promise<Buffer | undefined> {
  try {
    return await fs.readFile(file);
  } catch (err) {
    if (isErrnoException(err, 'ENOENT')) return undefined;
    throw new SharedMcpError('CONFIG_INVALID', `cannot read ${file}: ${fsReason(err)}`);
  }
}

async function takeLock(target: ClientFile): Promise<() => Promise<void>> {
  if (!target.lockFile) return async () => undefined;
  try {
    // realpath: false, as Claude Code locks it: the lock sits next to the path it reads, even when that is a symlink.
    const release = await lock(target.file, {
      lockfilePath: target.lockFile,
      realpath: false,
      stale: CLIENT_LOCK_STALE_MS,
      retries: { retries: Math.ceil(CLIENT_LOCK_WAIT_MS / 100), minTimeout: 20, maxTimeout: 100, factor: 1.5 },
      onCompromised: () => undefined, // we hold it for one write; a lost lock shows as a changed file next time
    });
    return async () => release().catch(() => undefined);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') throw new SharedMcpError('TIMEOUT', `${target.lockFile} stayed locked for ${CLIENT_LOCK_WAIT_MS / 1000}s (another program is writing ${path.basename(target.file)}); try again`);
    throw new SharedMcpError('INTERNAL', `cannot lock ${target.file}: ${(err as Error).message}`);
  }
}

/** Writes the file through a temp file and a rename (a symlink stays a link; mode and owner stay). */
async function replaceFile(file: string, text: string, beforeRename: () => void): Promise<void> {
  try {
    await replaceUserFile(file, text, 0o600, beforeRename);
  } catch (err) {
    if (err instanceof FileChanged) throw err;
    // "read-only file system: /home/me/.cursor/mcp.json; it was not changed" (and the file a symlink leads to, when it is another).
    const why = describeFsError(err);
    throw new SharedMcpError('INTERNAL', `${isErrnoException(err) && err.path === file ? '' : `cannot write ${file}: `}${why}; it was not changed`);
  }
}

/** A timestamped private copy; only the newest BACKUPS_KEPT of one file stay. */
async function writeBackup(dir: string, file: string, bytes: Buffer): Promise<string> {
  await makeDir(dir, 0o700);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const name = `${stamp}-${randomBytes(2).toString('hex')}-${path.basename(file)}`;
  const backup = path.join(dir, name);
  await fs.writeFile(backup, bytes, { mode: 0o600 }).catch((err: unknown) => {
    throw fsError(err, backup);
  });
  const all = (await fs.readdir(dir)).filter((n) => n.endsWith(`-${path.basename(file)}`)).sort();
  await Promise.all(all.slice(0, Math.max(0, all.length - BACKUPS_KEPT)).map((n) => fs.rm(path.join(dir, n), { force: true })));
  return backup;
}
