import { promises as fs } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { SharedMcpError, isErrnoException } from './errors';
import { fsError } from './fsErrors';
import { isPidAlive } from './pidAlive';

export const LOCK_POLL_MS = 25;
/** A lock older than this is stale even if its pid is alive (the pid may have been reused). */
export const LOCK_STALE_MS = 30_000;

interface LockContent {
  pid: number;
  nonce: string;
  at: number;
}

/**
 * A lock file created exclusively (host.lock elects who starts a host; host.json.lock guards host.json). A lock
 * whose holder died is broken by renaming it aside and checking that the renamed file is the one judged stale.
 * `onBusy` is told each time the lock was found held (before it is looked at again).
 */
export async function acquireFileLock(file: string, waitMs: number, options: { onBusy?(): void } = {}): Promise<{ release(): Promise<void> }> {
  const mine: LockContent = { pid: process.pid, nonce: randomBytes(8).toString('hex'), at: Date.now() };
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await fs.writeFile(file, JSON.stringify(mine), { flag: 'wx', mode: 0o600 });
      return { release: () => releaseIfMine(file, mine.nonce) };
    } catch (err) {
      if (!isErrnoException(err, 'EEXIST')) throw fsError(err, file);
    }
    options.onBusy?.();
    await breakIfStale(file);
    if (Date.now() > deadline) throw new SharedMcpError('TIMEOUT', `timed out waiting for ${file}; if no shared-mcp command is running, delete it`);
    await sleep(LOCK_POLL_MS);
  }
}

async function readLock(file: string): Promise<{ content?: LockContent; raw: string; mtimeMs: number } | undefined> {
  try {
    const [raw, stat] = await Promise.all([fs.readFile(file, 'utf8'), fs.stat(file)]);
    try {
      return { content: JSON.parse(raw) as LockContent, raw, mtimeMs: stat.mtimeMs };
    } catch {
      return { raw, mtimeMs: stat.mtimeMs };
    }
  } catch {
    return undefined;
  }
}

async function breakIfStale(file: string): Promise<void> {
  const lock = await readLock(file);
  if (!lock) return;
  const age = Date.now() - lock.mtimeMs;
  // A lock being written right now has no content yet: give its writer a moment before calling it corrupt.
  const stale = lock.content ? !isPidAlive(lock.content.pid) || age > LOCK_STALE_MS : age > 1000;
  if (!stale) return;
  const aside = `${file}.stale.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    await fs.rename(file, aside);
  } catch {
    return; // someone else broke or released it
  }
  const moved = await fs.readFile(aside, 'utf8').catch(() => '');
  if (moved !== lock.raw) {
    // We moved a fresh lock that replaced the stale one between our read and rename: put it back.
    await fs.link(aside, file).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

async function releaseIfMine(file: string, nonce: string): Promise<void> {
  const lock = await readLock(file);
  if (lock?.content?.nonce === nonce) await fs.rm(file, { force: true });
}
