import { promises as fs, writeFileSync, renameSync } from 'node:fs';
import type { HostLogger } from '../logs/hostLogger';
import { killTree } from './killTree';
import { readProcessTable, readStartTimeSync, type ProcessInfo } from './processTable';

/** What is remembered of one server's tree: the root (also its process group) and every member seen. */
interface TrackedTree {
  root: number;
  members: Array<{ pid: number; startTime: string }>;
}

/**
 * Remembers, in state/processes.json, every process of every server this host started, so that the next host
 * can stop what a killed host (SIGKILL, OOM) left behind, grandchildren included, even after the root is gone.
 */
export class ProcessTracker {
  private readonly tracked = new Map<string, TrackedTree>();
  /** The last write failed and that was logged: the next failure is not logged again until one works. */
  private failing = false;

  constructor(
    private readonly file: string,
    private readonly log?: Pick<HostLogger, 'warn'>,
  ) {}

  /** Records a freshly spawned server process, synchronously so a quick failure cannot overtake it. */
  add(server: string, pid: number): void {
    const startTime = readStartTimeSync(pid);
    if (startTime === undefined) return;
    this.tracked.set(server, { root: pid, members: [{ pid, startTime }] });
    this.persist();
  }

  /**
   * Brings a server's record in line with a sample: the tree as seen now, plus earlier members still alive (a
   * grandchild that left the tree); the dead are dropped. Written only when the membership changed.
   */
  observe(server: string, root: number, tree: ProcessInfo[], table: Map<number, ProcessInfo>): void {
    const t = this.tracked.get(server);
    if (!t || t.root !== root) return;
    const key = (m: { pid: number; startTime: string }): string => `${m.pid}:${m.startTime}`;
    const next = new Map(tree.map((p) => [key(p), { pid: p.pid, startTime: p.startTime }]));
    for (const m of t.members) if (table.get(m.pid)?.startTime === m.startTime && !table.get(m.pid)?.zombie) next.set(key(m), m);
    const before = new Set(t.members.map(key));
    if (next.size === before.size && [...next.keys()].every((k) => before.has(k))) return;
    t.members = [...next.values()];
    this.persist();
  }

  /** Forgets a server's tree once it has been stopped. */
  remove(server: string, root: number): void {
    if (this.tracked.get(server)?.root !== root) return;
    this.tracked.delete(server);
    this.persist();
  }

  /** SIGKILL, synchronously, to every tracked process that is still the same process (a pid may have been reused). */
  killAllNow(): void {
    for (const t of this.tracked.values()) {
      const same = t.members.filter((m) => readStartTimeSync(m.pid) === m.startTime);
      // The group only when its leader is verified: a reused pid as group id could name someone else's group.
      const targets = [...(same.some((m) => m.pid === t.root) ? [-t.root] : []), ...same.map((m) => m.pid)];
      for (const target of targets) {
        try {
          process.kill(target, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  }

  /** Stops every process a previous host recorded that is still the same process; returns how many trees had survivors. */
  async reapOrphans(graceMs: number, log: HostLogger): Promise<number> {
    let recorded: Record<string, TrackedTree>;
    try {
      recorded = JSON.parse(await fs.readFile(this.file, 'utf8')) as Record<string, TrackedTree>;
    } catch {
      return 0; // none recorded, or unreadable: nothing we can trust
    }
    const table = await readProcessTable();
    let reaped = 0;
    await Promise.all(
      Object.entries(recorded).map(async ([server, t]) => {
        if (!Array.isArray(t?.members)) return;
        const alive = t.members.flatMap((m) => {
          const now = table.get(m.pid);
          return now && now.startTime === m.startTime && !now.zombie ? [now] : [];
        });
        if (alive.length === 0) return;
        reaped++;
        log.warn(`stopping ${server} (pids ${alive.map((p) => p.pid).join(', ')}), left running by a host that did not shut down cleanly`);
        await killTree(t.root, graceMs, { known: alive, trustRoot: alive.some((p) => p.pid === t.root) });
      }),
    );
    await fs.rm(this.file, { force: true });
    return reaped;
  }

  private persist(): void {
    // Synchronous so the record is on disk before the host can be killed mid-write.
    const tmp = `${this.file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, JSON.stringify(Object.fromEntries(this.tracked)), { mode: 0o600 });
      renameSync(tmp, this.file);
      this.failing = false;
    } catch (err) {
      // Orphan cleanup is best effort, but a host that can no longer record its servers says so (once).
      if (this.failing) return;
      this.failing = true;
      this.log?.warn(`cannot record the servers' processes in ${this.file}: ${(err as Error).message}; a host killed now may leave them running`);
    }
  }
}
