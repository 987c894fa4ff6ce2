import { SharedMcpError } from './errors';
import { describeFsError, makeDir } from './fsErrors';
import { promises as fs, constants } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const HOME_ENV = 'SHARED_MCP_HOME';
export const DEFAULT_PORT = 19100;
/** How far above the configured port the host looks for a free one. */
export const PORT_SEARCH_SPAN = 100;

/** Every path inside one Shared MCP home (DESIGN.md "Home layout"). */
export interface HomePaths {
  home: string;
  config: string;
  registry: string;
  lock: string;
  token: string;
  /** Secrets kept on disk, only with settings.persistSecrets (mode 0600). */
  secrets: string;
  logs: string;
  hostLog: string;
  hostOut: string;
  state: string;
  processes: string;
  sessions: string;
  /** Which client config entries are ours (state/sync.json). */
  syncLedger: string;
  /** Client files as they were before our first entry: an exact unsync. */
  syncBaselines: string;
  /** A copy of each client file before each write, per client. */
  backups: string;
  runtime: string;
}

/** The home directory: env SHARED_MCP_HOME when set, else ~/.shared-mcp. */
export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env[HOME_ENV];
  if (fromEnv && fromEnv.trim() !== '') return path.resolve(fromEnv);
  return path.join(os.homedir(), '.shared-mcp');
}

/** The paths of one home; creates nothing. */
export function homePaths(home: string): HomePaths {
  const logs = path.join(home, 'logs');
  const state = path.join(home, 'state');
  return {
    home,
    config: path.join(home, 'config.jsonc'),
    registry: path.join(home, 'host.json'),
    lock: path.join(home, 'host.lock'),
    token: path.join(home, 'token'),
    secrets: path.join(home, 'secrets.json'),
    logs,
    hostLog: path.join(logs, 'host.log'),
    hostOut: path.join(logs, 'host.out'),
    state,
    processes: path.join(state, 'processes.json'),
    sessions: path.join(state, 'sessions.json'),
    syncLedger: path.join(state, 'sync.json'),
    syncBaselines: path.join(state, 'sync-baselines'),
    backups: path.join(state, 'backups'),
    runtime: path.join(home, 'runtime'),
  };
}

/** The log file of one server; the one server-name rule (serverName.ts) makes names safe as file names and keeps them off host.log. */
export function serverLogPath(paths: HomePaths, server: string): string {
  return path.join(paths.logs, `${server}.log`);
}

/** Creates the home and its folders, or explains in one line why this path cannot be a home. */
export async function ensureHomeDirs(paths: HomePaths): Promise<void> {
  try {
    await makeDir(paths.home, 0o700);
    // One after the other: the error then always names the first folder that could not be made.
    await makeDir(paths.logs);
    await makeDir(paths.state);
    await fs.access(paths.home, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // "read-only file system: /mnt/ro/.shared-mcp", "permission denied: …", "no space left on device: …"
    const why = code === 'ENOTDIR' || code === 'EEXIST' ? 'a file is in the way (it must be a folder)' : describeFsError(err);
    throw new SharedMcpError('HOST_START_FAILED', `cannot use ${paths.home} as the Shared MCP home: ${why} (set SHARED_MCP_HOME to another folder)`);
  }
}
