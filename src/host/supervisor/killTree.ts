import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { processTree, readProcessTable, type ProcessInfo } from './processTable';

const POLL_MS = 50;

export interface KillTreeOptions {
  /** Processes seen in the tree earlier (a grandchild that left the group is re-parented to init when its parent dies). */
  known?: ProcessInfo[];
  /** Runs after the snapshot, before SIGTERM (closing the server's stdin, as MCP asks). */
  beforeSignal?: () => void;
  /** False when the root may be gone and its pid reused: then only `known` and their descendants are signalled. */
  trustRoot?: boolean;
}

/**
 * Stops a server's whole process tree: SIGTERM to its process group and every descendant, SIGKILL to whatever
 * is left after graceMs. Resolves when nothing of the tree is alive. The tree is snapshotted first because
 * grandchildren (npx → sh → node) are re-parented to init once their parent dies.
 */
export async function killTree(rootPid: number, graceMs: number, options: KillTreeOptions = {}): Promise<void> {
  // With an untrusted root there is no group to signal: -1 matches no process group id.
  const pgid = options.trustRoot === false ? -1 : rootPid;
  if (process.platform === 'win32') {
    options.beforeSignal?.();
    return killTreeWindows(rootPid);
  }
  const table = await readProcessTable();
  const members = options.trustRoot === false ? [] : processTree(table, rootPid, pgid);
  for (const k of options.known ?? []) {
    const now = table.get(k.pid);
    if (now && now.startTime === k.startTime && !members.some((m) => m.pid === k.pid)) members.push(...processTree(table, k.pid, pgid));
  }
  options.beforeSignal?.();
  signalAll(members, pgid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if ((await survivors(members, pgid)).length === 0) return;
    await sleep(POLL_MS);
  }
  for (let attempt = 0; attempt < 40; attempt++) {
    const left = await survivors(members, pgid);
    if (left.length === 0) return;
    signalAll(left, pgid, 'SIGKILL');
    await sleep(POLL_MS);
  }
}

/** The snapshot members that are still the same processes, plus anything new in the group or below a member. */
async function survivors(members: ProcessInfo[], pgid: number): Promise<ProcessInfo[]> {
  const table = await readProcessTable();
  const alive = new Map<number, ProcessInfo>();
  for (const m of members) {
    const now = table.get(m.pid);
    // A zombie still has a /proc entry until its parent reaps it; its stat has no RSS and it cannot run.
    if (now && now.startTime === m.startTime && !now.zombie) {
      for (const p of processTree(table, m.pid, pgid)) if (!p.zombie) alive.set(p.pid, p);
    }
  }
  return [...alive.values()];
}

function signalAll(members: ProcessInfo[], pgid: number, signal: NodeJS.Signals): void {
  try {
    if (pgid > 0) process.kill(-pgid, signal);
  } catch {
    // the group may already be empty
  }
  for (const p of members) {
    try {
      process.kill(p.pid, signal);
    } catch {
      // already gone
    }
  }
}

function killTreeWindows(pid: number): Promise<void> {
  return new Promise((resolve) => execFile('taskkill', ['/PID', String(pid), '/T', '/F'], () => resolve()));
}
