import { readFileSync, readdirSync } from 'node:fs';
import { execFile, execFileSync } from 'node:child_process';

/** One row of the OS process table. */
export interface ProcessInfo {
  pid: number;
  ppid: number;
  pgid: number;
  /** Opaque start time: with pid, identifies a process across pid reuse. */
  startTime: string;
  /** Resident memory in bytes; 0 when unknown. */
  rssBytes: number;
  /** Exited but not yet reaped by its parent: holds a pid, runs nothing. */
  zombie: boolean;
}

const PAGE_BYTES = 4096;

/** A snapshot of every process on the machine (Linux: /proc; elsewhere: ps). */
export async function readProcessTable(): Promise<Map<number, ProcessInfo>> {
  return process.platform === 'linux' ? readProc() : readPs();
}

/** /proc entries read per turn of the event loop: one slice takes about a millisecond. */
const PROC_SLICE = 64;

/**
 * Synchronous reads in slices: /proc files are generated in memory, so a sync read costs microseconds, while
 * async ones (open, stat, read, close, each through the thread pool) cost ten times the CPU, every 2 s, forever.
 */
async function readProc(): Promise<Map<number, ProcessInfo>> {
  const table = new Map<number, ProcessInfo>();
  const pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  for (let i = 0; i < pids.length; i += PROC_SLICE) {
    if (i > 0) await new Promise((resolve) => setImmediate(resolve));
    for (const pid of pids.slice(i, i + PROC_SLICE)) {
      let stat: string;
      try {
        stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      } catch {
        continue; // exited while we looked
      }
      const info = parseProcStat(stat);
      if (info) table.set(info.pid, info);
    }
  }
  return table;
}

/** Parses /proc/<pid>/stat; the command name may hold spaces and parentheses, so fields are counted from the last ')'. */
export function parseProcStat(stat: string): ProcessInfo | undefined {
  const close = stat.lastIndexOf(')');
  if (close < 0) return undefined;
  const pid = Number(stat.slice(0, stat.indexOf(' ')));
  const f = stat.slice(close + 2).split(' ');
  // f[0] is field 3 (state): ppid is field 4, pgrp 5, starttime 22, rss 24 (pages).
  if (f.length < 22) return undefined;
  return { pid, ppid: Number(f[1]), pgid: Number(f[2]), startTime: f[19], rssBytes: Number(f[21]) * PAGE_BYTES, zombie: f[0] === 'Z' };
}

function readPs(): Promise<Map<number, ProcessInfo>> {
  return new Promise((resolve) => {
    execFile('ps', ['-A', '-o', 'pid=,ppid=,pgid=,rss=,stat=,lstart='], { maxBuffer: 32 * 1024 * 1024 }, (err, stdout) => {
      const table = new Map<number, ProcessInfo>();
      if (!err) {
        for (const line of stdout.split('\n')) {
          const m = /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(\S+)\s+(.+?)\s*$/.exec(line);
          if (m) {
            const [pid, ppid, pgid, rssKb] = [m[1], m[2], m[3], m[4]].map(Number);
            table.set(pid, { pid, ppid, pgid, rssBytes: rssKb * 1024, zombie: m[5].startsWith('Z'), startTime: m[6] });
          }
        }
      }
      resolve(table);
    });
  });
}

/** Every process that belongs to a server: the root, its descendants, and anything left in its process group. */
export function processTree(table: Map<number, ProcessInfo>, rootPid: number, pgid = rootPid): ProcessInfo[] {
  const children = new Map<number, number[]>();
  for (const p of table.values()) {
    const list = children.get(p.ppid);
    if (list) list.push(p.pid);
    else children.set(p.ppid, [p.pid]);
  }
  const found = new Map<number, ProcessInfo>();
  const stack = [rootPid];
  for (const p of table.values()) if (p.pgid === pgid) stack.push(p.pid);
  while (stack.length > 0) {
    const pid = stack.pop() as number;
    const info = table.get(pid);
    if (!info || found.has(pid)) continue;
    found.set(pid, info);
    stack.push(...(children.get(pid) ?? []));
  }
  return [...found.values()];
}

/** The summed RSS of a process tree, in bytes. */
export function treeRssBytes(tree: ProcessInfo[]): number {
  return tree.reduce((sum, p) => sum + p.rssBytes, 0);
}

/** One process's start time, read synchronously (for a forced exit, where nothing async runs); undefined if gone. */
export function readStartTimeSync(pid: number): string | undefined {
  try {
    if (process.platform === 'linux') {
      const info = parseProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
      return info && !info.zombie ? info.startTime : undefined;
    }
    return execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}
