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
  logs: string;
  hostLog: string;
  hostOut: string;
  state: string;
  processes: string;
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
    logs,
    hostLog: path.join(logs, 'host.log'),
    hostOut: path.join(logs, 'host.out'),
    state,
    processes: path.join(state, 'processes.json'),
    runtime: path.join(home, 'runtime'),
  };
}

/** The log file of one server; names are restricted by the schema, so they are safe as file names. */
export function serverLogPath(paths: HomePaths, server: string): string {
  return path.join(paths.logs, `${server}.log`);
}
