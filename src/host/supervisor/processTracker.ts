import { promises as fs, writeFileSync, renameSync } from 'node:fs';
import type { HostLogger } from '../logs/hostLogger';
import { killTree } from './killTree';
import { readProcessTable } from './processTable';

interface TrackedProcess {
  pid: number;
  startTime: string;
}

/**
 * Remembers, in state/processes.json, which server processes this host started, so that the next host can stop
 * the ones a killed host (SIGKILL, OOM, power loss of the editor) left behind.
 */
export class ProcessTracker {
  private readonly tracked = new Map<string, TrackedProcess>();

  constructor(private readonly file: string) {}

  async add(server: string, pid: number): Promise<void> {
    const info = (await readProcessTable()).get(pid);
    if (!info) return;
    this.tracked.set(server, { pid, startTime: info.startTime });
    this.persist();
  }

  remove(server: string, pid: number): void {
    if (this.tracked.get(server)?.pid !== pid) return;
    this.tracked.delete(server);
    this.persist();
  }

  /** Stops every process a previous host recorded that is still the same process; returns how many trees were stopped. */
  async reapOrphans(graceMs: number, log: HostLogger): Promise<number> {
    let recorded: Record<string, TrackedProcess>;
    try {
      recorded = JSON.parse(await fs.readFile(this.file, 'utf8')) as Record<string, TrackedProcess>;
    } catch {
      return 0; // none recorded, or unreadable: nothing we can trust
    }
    const table = await readProcessTable();
    const orphans = Object.entries(recorded).filter(([, p]) => table.get(p.pid)?.startTime === p.startTime);
    await Promise.all(
      orphans.map(async ([server, p]) => {
        log.warn(`stopping ${server} (pid ${p.pid}), left running by a host that did not shut down cleanly`);
        await killTree(p.pid, graceMs);
      }),
    );
    await fs.rm(this.file, { force: true });
    return orphans.length;
  }

  private persist(): void {
    // Synchronous so the record is on disk before the host can be killed mid-write.
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.tracked)), { mode: 0o600 });
      renameSync(tmp, this.file);
    } catch {
      // state/ removed under us: orphan cleanup is best effort
    }
  }
}
