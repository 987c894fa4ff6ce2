/** Where each MCP client keeps its user-scope servers, and the entry Shared MCP writes there (issue 5's table). */
import * as os from 'node:os';
import * as path from 'node:path';
import { SharedMcpError } from '../errors';

/** Clients whose config files the host keeps in sync. */
export const SYNC_CLIENTS = ['claude', 'codex', 'cursor', 'gemini', 'windsurf', 'claude-desktop'] as const;
export type ClientId = (typeof SYNC_CLIENTS)[number];

export interface ClientTarget {
  id: ClientId;
  /** The product's name, for messages. */
  label: string;
  /** The user-scope config file. */
  file: string;
  /** Present when the client is installed (default sync targets are those whose folder exists). */
  folder: string;
  format: 'json' | 'toml';
  /** The top-level key that holds servers by name. */
  container: string;
  /** The client's own lock for writers of the file (proper-lockfile's directory), when it has one. */
  lockFile?: string;
  /** Speaks only stdio: it gets `shared-mcp bridge <name>` instead of a URL. */
  stdioOnly: boolean;
}

/** The environment client paths depend on; tests redirect all of it. */
export interface ClientEnvironment {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
}

/** Each client's product name, for messages. */
export const CLIENT_LABELS: Record<ClientId, string> = {
  claude: 'Claude Code',
  codex: 'Codex',
  cursor: 'Cursor',
  gemini: 'Gemini CLI',
  windsurf: 'Windsurf',
  'claude-desktop': 'Claude Desktop',
};

/** The user's home folder as the clients see it (HOME, or USERPROFILE on Windows). */
export function userHome(e: ClientEnvironment): string {
  return (e.platform === 'win32' ? e.env.USERPROFILE : e.env.HOME) || os.homedir();
}

/** The per-OS folder of desktop apps' settings (%APPDATA%, ~/Library/Application Support, $XDG_CONFIG_HOME). */
export function appDataDir(e: ClientEnvironment): string {
  const home = userHome(e);
  if (e.platform === 'win32') return e.env.APPDATA || path.join(home, 'AppData', 'Roaming');
  if (e.platform === 'darwin') return path.join(home, 'Library', 'Application Support');
  return e.env.XDG_CONFIG_HOME || path.join(home, '.config');
}

/** Where one client's user-scope servers live on this machine. */
export function clientTarget(id: ClientId, e: ClientEnvironment): ClientTarget {
  const home = userHome(e);
  const base = { id, label: CLIENT_LABELS[id], format: 'json' as const, container: 'mcpServers', stdioOnly: false };
  switch (id) {
    case 'claude': {
      // ~/.mcp.json is a project file, not the user scope; CLAUDE_CONFIG_DIR moves .claude.json with it.
      const dir = e.env.CLAUDE_CONFIG_DIR;
      const file = dir ? path.join(dir, '.claude.json') : path.join(home, '.claude.json');
      return { ...base, file, folder: dir || path.join(home, '.claude'), lockFile: `${file}.lock` };
    }
    case 'codex': {
      const dir = e.env.CODEX_HOME || path.join(home, '.codex');
      return { ...base, file: path.join(dir, 'config.toml'), folder: dir, format: 'toml', container: 'mcp_servers' };
    }
    case 'cursor':
      return { ...base, file: path.join(home, '.cursor', 'mcp.json'), folder: path.join(home, '.cursor') };
    case 'gemini':
      return { ...base, file: path.join(home, '.gemini', 'settings.json'), folder: path.join(home, '.gemini') };
    case 'windsurf':
      return { ...base, file: path.join(home, '.codeium', 'windsurf', 'mcp_config.json'), folder: path.join(home, '.codeium', 'windsurf') };
    case 'claude-desktop': {
      const dir = path.join(appDataDir(e), 'Claude');
      return { ...base, file: path.join(dir, 'claude_desktop_config.json'), folder: dir, stdioOnly: true };
    }
  }
}

export interface BridgeCommand {
  command: string;
  args: string[];
  env?: Record<string, string>;
}

/** How the host is reached: what a gateway entry points at. */
export interface GatewayEndpoint {
  /** http://127.0.0.1:<port>/mcp/<name> */
  url: string;
  token: string;
  /** For stdio-only clients: the command that runs `shared-mcp bridge <name>`. */
  bridge?: BridgeCommand;
}

/** The entry a client gets for one shared server, in that client's own shape. */
export function gatewayEntry(id: ClientId, g: GatewayEndpoint): Record<string, unknown> {
  const headers = { Authorization: `Bearer ${g.token}` };
  switch (id) {
    case 'claude':
      return { type: 'http', url: g.url, headers };
    case 'codex':
      // Codex ignores `headers` and refuses an inline `bearer_token`.
      return { url: g.url, http_headers: headers };
    case 'cursor':
      return { url: g.url, headers };
    case 'gemini':
      return { httpUrl: g.url, headers };
    case 'windsurf':
      return { serverUrl: g.url, headers };
    case 'claude-desktop':
      if (!g.bridge) throw new SharedMcpError('INTERNAL', 'no bridge command for a stdio-only client');
      return { command: g.bridge.command, args: g.bridge.args, ...(g.bridge.env ? { env: g.bridge.env } : {}) };
  }
}

/** Parses a client id as users type it (`claude-code` is `claude`); undefined when unknown. */
export function parseClientId(text: string): ClientId | undefined {
  const id = text.trim().toLowerCase();
  if (id === 'claude-code') return 'claude';
  if (id === 'claudedesktop' || id === 'desktop') return 'claude-desktop';
  return (SYNC_CLIENTS as readonly string[]).includes(id) ? (id as ClientId) : undefined;
}
