import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { isErrnoException } from './errors';

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

/** Writes a file atomically (temp file + rename) with the given mode, so readers never see half a file. */
export async function writeFileAtomic(file: string, content: string, mode = 0o600): Promise<void> {
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  await fs.writeFile(tmp, content, { mode });
  try {
    await fs.chmod(tmp, mode);
    await fs.rename(tmp, file);
  } catch (err) {
    await fs.rm(tmp, { force: true });
    throw err;
  }
}

/** Writes host.json, mode 0600 (it holds the control token). */
export async function writeRegistry(file: string, registry: HostRegistry): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify(registry, null, 2)}\n`, 0o600);
}

/** Removes host.json only if it still names this pid, so a newer host's registry is never deleted. */
export async function removeRegistryIfOwned(file: string, pid: number): Promise<void> {
  const current = await readRegistry(file);
  if (current && current.pid !== pid) return;
  await fs.rm(file, { force: true });
}

/** True when a process with this pid exists (EPERM means it exists but is not ours). */
export function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrnoException(err, 'EPERM');
  }
}
