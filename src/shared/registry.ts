import { promises as fs, renameSync } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { acquireFileLock } from './fileLock';
import { fsError } from './fsErrors';
import { isPidAlive } from './pidAlive';

/** host.json: how clients find and talk to the running host. */
export interface HostRegistry {
  pid: number;
  port: number;
  /** The bind address; clients connect here. */
  address: string;
  controlToken: string;
  version: string;
  home: string;
  startedAt: string;
  /**
   * Set by the host when its shutdown begins (it stops accepting connections then): the next host waits for this
   * pid to exit before it takes the home, instead of taking it from a host that still stops its servers.
   */
  stopping?: boolean;
}

/** Reads host.json; undefined when absent, unreadable or not a registry (a corrupt file is treated as absent). */
export async function readRegistry(file: string): Promise<HostRegistry | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const r = JSON.parse(text) as Partial<HostRegistry>;
    if (
      typeof r.pid === 'number' && Number.isInteger(r.pid) && r.pid > 0 &&
      typeof r.port === 'number' && Number.isInteger(r.port) && r.port > 0 && r.port < 65536 &&
      typeof r.controlToken === 'string' && r.controlToken.length >= 16 &&
      typeof r.version === 'string' && typeof r.home === 'string' && typeof r.startedAt === 'string'
    ) {
      return { address: '127.0.0.1', ...r } as HostRegistry;
    }
  } catch {
    // corrupt: fall through
  }
  return undefined;
}

/**
 * Writes a file atomically (temp file + rename) with the given mode, so readers never see half a file; with `owner`,
 * a root process gives the file that owner (it is replacing someone else's file). `beforeRename`, when given, runs
 * synchronously right before a synchronous rename, with nothing awaited in between: the last moment to check that
 * the file is still what the content was computed from (another program may write it without any lock); what it
 * throws stops the write.
 */
export async function writeFileAtomic(file: string, content: string, mode = 0o600, owner?: { uid: number; gid: number }, beforeRename?: () => void): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await fs.writeFile(tmp, content, { mode });
  } catch (err) {
    // Named after the file being written, not its temp file: "read-only file system: /home/me/.cursor/mcp.json".
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw fsError(err, file);
  }
  try {
    await fs.chmod(tmp, mode);
    if (owner && process.getuid?.() === 0 && (owner.uid !== 0 || owner.gid !== 0)) await fs.chown(tmp, owner.uid, owner.gid);
    if (beforeRename) {
      beforeRename();
      renameSync(tmp, file);
    } else {
      await fs.rename(tmp, file);
    }
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw fsError(err, file);
  }
}

/** Writes host.json, mode 0600 (it holds the control token). */
export async function writeRegistry(file: string, registry: HostRegistry): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(registry, null, 2)}\n`, 0o600);
}

/** host.json is only ever created or removed under this lock, so a check and the act that follows it are one step. */
export function registryLockPath(file: string): string {
  return `${file}.lock`;
}

/** Removes host.json only if it still names this pid, so a newer host's registry is never deleted. */
export async function removeRegistryIfOwned(file: string, pid: number): Promise<void> {
  const lock = await acquireFileLock(registryLockPath(file), REGISTRY_LOCK_WAIT_MS);
  try {
    const current = await readRegistry(file);
    if (current && current.pid !== pid) return;
    await fs.rm(file, { force: true });
  } finally {
    await lock.release();
  }
}

export const CLAIM_HEALTH_WAIT_MS = 3000;
/** How long a new host waits for a stopping one to exit (its shutdown steps all have deadlines well within this). */
export const CLAIM_STOPPING_WAIT_MS = 120_000;
const POLL_MS = 100;

/** Marks host.json as this pid's shutdown under way (nothing when it names another pid). */
export async function markRegistryStopping(file: string, pid: number): Promise<void> {
  const lock = await acquireFileLock(registryLockPath(file), REGISTRY_LOCK_WAIT_MS);
  try {
    const current = await readRegistry(file);
    if (current && current.pid === pid && !current.stopping) await writeRegistry(file, { ...current, stopping: true });
  } finally {
    await lock.release();
  }
}
const REGISTRY_LOCK_WAIT_MS = 15_000;

/**
 * Writes host.json only if no live host holds it: the host's own guarantee of one host per home, whatever
 * started it. A registry of a dead pid, or of a pid that never answers health, is replaced. `isLive` checks
 * health (passed in so this module stays free of HTTP).
 */
export async function claimRegistry(file: string, registry: HostRegistry, isLive: (r: HostRegistry) => Promise<boolean>): Promise<{ claimed: true } | { claimed: false; holder: HostRegistry }> {
  // A host that is shutting down keeps its servers, sessions and files until it is gone: wait for it (without the
  // lock, which it needs once more to remove host.json).
  const stopping = await readRegistry(file);
  if (stopping?.stopping && stopping.pid !== process.pid) {
    const deadline = Date.now() + CLAIM_STOPPING_WAIT_MS;
    while (isPidAlive(stopping.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, POLL_MS));
  }
  const lock = await acquireFileLock(registryLockPath(file), REGISTRY_LOCK_WAIT_MS);
  try {
    const holder = await readRegistry(file);
    if (holder && !holder.stopping && holder.pid !== process.pid && isPidAlive(holder.pid)) {
      const deadline = Date.now() + CLAIM_HEALTH_WAIT_MS;
      do {
        if (await isLive(holder)) return { claimed: false, holder };
        await new Promise((r) => setTimeout(r, POLL_MS));
      } while (Date.now() < deadline);
    }
    // Absent, stale or corrupt: ours now. Nobody else creates or removes it while we hold the lock.
    await writeRegistry(file, registry);
    return { claimed: true };
  } finally {
    await lock.release();
  }
}
