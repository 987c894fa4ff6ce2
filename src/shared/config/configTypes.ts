/** The normalized configuration every component works with (the file format is in schemas/config.schema.json). */

export type Transport = 'stdio' | 'http' | 'sse';
export type AutoStart = boolean | 'lazy';
export type Sharing = 'multiplex' | 'per-session' | 'per-workspace';
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'none';

export const DEFAULT_MAX_RESTARTS = 10;
export const DEFAULT_RESTART_DELAY_MS = 1000;
export const DEFAULT_STARTUP_TIMEOUT_MS = 60_000;
export const DEFAULT_STOP_GRACE_MS = 5000;
/** One message in either direction (HTTP body, stdio line); larger ones get an error and never reach the backend. */
export const DEFAULT_MAX_MESSAGE_BYTES = 32 * 1024 * 1024;
export const DEFAULT_MAX_SESSIONS = 1000;
/** A session with nothing in flight and no open stream lets go of its server after this long (it can come back). */
export const DEFAULT_SESSION_IDLE_TIMEOUT_MS = 60 * 60 * 1000;

export interface ServerDefinition {
  name: string;
  transport: Transport;
  command?: string;
  args: string[];
  env: Record<string, string>;
  /** Absolute; resolved against the config file's folder. */
  cwd?: string;
  url?: string;
  headers: Record<string, string>;
  disabled: boolean;
  autoStart: AutoStart;
  idleTimeoutMs?: number;
  startupTimeoutMs: number;
  sharing: Sharing;
  tools: { enabled?: string[]; disabled?: string[] };
  /** Absolute folders answered to the server's roots/list. */
  roots: string[];
  maxMemoryBytes?: number;
  maxRestarts: number;
  restartDelayMs: number;
}

export interface HostSettings {
  port: number;
  logLevel: LogLevel;
  shellEnv: boolean;
  stopGraceMs: number;
  maxMessageBytes: number;
  maxSessions: number;
  sessionIdleTimeoutMs: number;
  /** Client config files the host keeps in sync: 'auto' (the installed ones) or a list of client ids. */
  syncClients: 'auto' | string[];
  /** Keep secrets in home/secrets.json too (headless use); off: in the host's memory only. */
  persistSecrets: boolean;
}

/** One problem in a config file, located for the user. */
export interface ConfigProblem {
  /** Dotted key path, e.g. "mcpServers.github.args". Empty for the whole file. */
  path: string;
  line: number;
  column: number;
  message: string;
}

export interface LoadedConfig {
  path: string;
  settings: HostSettings;
  servers: ServerDefinition[];
  /** Problems that do not stop the config from loading (unknown keys). */
  warnings: ConfigProblem[];
}

/** "config.jsonc:3:14 mcpServers.github.args: expected an array of strings" */
export function formatProblem(file: string, p: ConfigProblem): string {
  return `${file}:${p.line}:${p.column} ${p.path ? `${p.path}: ` : ''}${p.message}`;
}
