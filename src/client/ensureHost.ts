import { spawn } from 'node:child_process';
import { promises as fs, openSync, closeSync } from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { HOST_RUNNING_EXIT_CODE, SharedMcpError } from '../shared/errors';
import { findHost } from '../shared/healthCheck';
import { ensureHomeDirs, homePaths, HOME_ENV } from '../shared/homePaths';
import type { HostRegistry } from '../shared/registry';
import { VERSION } from '../shared/version';
import { acquireFileLock } from '../shared/fileLock';
import { makeDir } from '../shared/fsErrors';

export const HOST_START_TIMEOUT_MS = 20_000;
const POLL_MS = 50;

export interface EnsureHostOptions {
  home: string;
  /** The host bundle shipped with the caller (dist/host.js); copied into home/runtime/<version>/ before it runs. */
  hostScript: string;
  /** The Node runtime to run the host with; default: this process's. */
  nodePath?: string;
  /** Extra environment for the host (e.g. ELECTRON_RUN_AS_NODE=1 when nodePath is an editor's runtime). */
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
}

export interface HostHandle {
  registry: HostRegistry;
  /** True when this call started the host. */
  started: boolean;
  /** Set when the running host is another version than this client. */
  versionMismatch?: { host: string; client: string };
}

/** Finds the home's host or starts one (DESIGN.md "ensureHost"); concurrent callers end with one host. */
export async function ensureHost(options: EnsureHostOptions): Promise<HostHandle> {
  const found = await findHost(options.home);
  if (found) return handle(found, false);
  const paths = homePaths(options.home);
  await ensureHomeDirs(paths);
  const timeoutMs = options.timeoutMs ?? HOST_START_TIMEOUT_MS;
  const lock = await acquireFileLock(paths.lock, timeoutMs);
  try {
    const winner = await findHost(options.home);
    if (winner) return handle(winner, false);
    const reg = await spawnHost(options, timeoutMs);
    return handle(reg, true);
  } finally {
    await lock.release();
  }
}

function handle(registry: HostRegistry, started: boolean): HostHandle {
  return registry.version === VERSION ? { registry, started } : { registry, started, versionMismatch: { host: registry.version, client: VERSION } };
}

async function spawnHost(options: EnsureHostOptions, timeoutMs: number): Promise<HostRegistry> {
  const paths = homePaths(options.home);
  const script = await installRuntime(options.hostScript, path.join(paths.runtime, VERSION));
  const out = openSync(paths.hostOut, 'a', 0o600);
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let spawnError: string | undefined;
  try {
    const child = spawn(options.nodePath ?? process.execPath, [script], {
      cwd: options.home,
      env: { ...process.env, ...options.env, [HOME_ENV]: options.home },
      // Its own process group and session: closing the terminal or editor that started it does not stop it.
      detached: true,
      stdio: ['ignore', out, out],
      windowsHide: true,
    });
    child.on('exit', (code, signal) => (exited = { code, signal }));
    child.on('error', (err) => (spawnError = `cannot run ${options.nodePath ?? process.execPath}: ${err.message}`));
    child.unref();
  } finally {
    closeSync(out);
  }
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const reg = await findHost(options.home);
    if (reg) return reg;
    if (spawnError) throw new SharedMcpError('HOST_START_FAILED', spawnError);
    // Exit code 3: another host won the race for this home; it will show up in host.json.
    if (exited && exited.code !== HOST_RUNNING_EXIT_CODE) {
      const why = await lastLine(paths.hostOut);
      throw new SharedMcpError('HOST_START_FAILED', `the host exited while starting${why ? `: ${why}` : ''} (see ${paths.hostOut})`);
    }
    await sleep(POLL_MS);
  }
  throw new SharedMcpError('HOST_START_FAILED', `the host did not become ready within ${timeoutMs / 1000}s (see ${paths.hostLog})`);
}

/**
 * Copies the host bundle, and the CLI bundle beside it, into the home so an extension update or uninstall never pulls
 * them from under a running host or a client config that names `runtime/<version>/cli.js` (Claude Desktop's bridge
 * entries). The host finds that cli.js next to itself, whether it runs from there or from dist/.
 */
async function installRuntime(source: string, dir: string): Promise<string> {
  const target = path.join(dir, 'host.js');
  if (!(await installFile(source, target))) throw new SharedMcpError('HOST_START_FAILED', `host bundle not found: ${source} (run npm run build)`);
  await installFile(path.join(path.dirname(source), 'cli.js'), path.join(dir, 'cli.js'));
  return target;
}

/** Copies a file unless an identical copy (size and time) is there; the rename keeps readers whole. False: no source. */
async function installFile(source: string, target: string): Promise<boolean> {
  const src = await fs.stat(source).catch(() => undefined);
  if (!src) return false;
  const dst = await fs.stat(target).catch(() => undefined);
  if (dst && dst.size === src.size && Math.abs(dst.mtimeMs - src.mtimeMs) < 1) return true;
  await makeDir(path.dirname(target));
  const tmp = `${target}.${process.pid}.tmp`;
  await fs.copyFile(source, tmp);
  await fs.utimes(tmp, src.atime, src.mtime);
  await fs.rename(tmp, target);
  return true;
}

async function lastLine(file: string): Promise<string | undefined> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  return text.trim().split('\n').filter((l) => l.trim() !== '').pop();
}
