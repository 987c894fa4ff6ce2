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
/** One message towards a server: the MCP SDK's stdio transport (most servers) dies on a line over 10 MiB. */
export const DEFAULT_SERVER_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;
/** Bytes that may wait for a server to read its stdin before new requests to it are refused. */
export const DEFAULT_MAX_QUEUED_BYTES = 64 * 1024 * 1024;
/** A request to a server that is not answered (nor shows progress) for this long fails and is cancelled. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 10 * 60_000;
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
  /** A request unanswered this long (progress restarts the clock) fails for its caller and is cancelled at the server. */
  requestTimeoutMs: number;
  sharing: Sharing;
  tools: { enabled?: string[]; disabled?: string[] };
  /** Absolute folders answered to the server's roots/list. */
  roots: string[];
  maxMemoryBytes?: number;
  maxRestarts: number;
  restartDelayMs: number;
  /** The largest message sent to the server; larger requests are refused to their caller. */
  maxMessageBytes: number;
  /** Bytes waiting for the server's stdin beyond which new requests are refused. */
  maxQueuedBytes: number;
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
