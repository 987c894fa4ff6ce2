/** The control API's wire types (/api/*), shared by the host, the CLI and the extension. Stable: see README "status --json". */

import type { AutoStart, ConfigProblem, Sharing, Transport } from './config/configTypes';

export const STATUS_SCHEMA_VERSION = 1;

export type ServerState =
  | 'stopped'
  | 'starting'
  | 'running'
  | 'crashed'
  | 'failed'
  | 'stopping'
  | 'disabled'
  | 'idle'
  | 'needs-auth'
  | 'needs-secret';

/** One connected MCP client session. */
export interface SessionStatus {
  /** The first 8 characters of the session id (the whole id is a credential of the client's). */
  id: string;
  /** What the client said of itself in initialize. */
  client: { name: string; version: string } | null;
  protocolVersion: string;
  transport: 'streamable-http' | 'sse';
  /** ISO time the session was opened (or resumed after a host restart). */
  since: string;
  lastActivityAt: string;
  /** Requests answered through the host. */
  callsServed: number;
  inFlight: number;
  /** per-session servers: this session's own process. */
  pid?: number | null;
}

export interface ServerStatus {
  name: string;
  transport: Transport;
  /** What runs: the command line of a stdio server, the URL of a remote one. */
  launch: string;
  state: ServerState;
  /** The server's process (stdio); null when not running or remote. */
  pid: number | null;
  /** ISO time the current process started. */
  startedAt: string | null;
  uptimeMs: number | null;
  /** Restarts since the host started or since the last manual start. */
  restarts: number;
  /** Resident memory of the server's whole process tree. */
  rssBytes: number | null;
  lastError: string | null;
  /** Where MCP clients reach this server through the host. */
  endpoint: string;
  autoStart: AutoStart;
  sharing: Sharing;
  /** The name and version the server reported in MCP initialize. */
  serverInfo: { name: string; version: string } | null;
  /** Tools clients see (after the tools filter); null until the server has been listed. */
  tools: number | null;
  /** Connected MCP client sessions. */
  sessions: SessionStatus[];
}

export interface HostInfo {
  pid: number;
  port: number;
  version: string;
  home: string;
  configPath: string;
  startedAt: string;
  uptimeMs: number;
  rssBytes: number;
  /** The last config reload's problem; the host keeps running the previous config. */
  configError: { message: string; problems: ConfigProblem[] } | null;
  configWarnings: ConfigProblem[];
  /** Secrets that servers which may run refer to (${secret:NAME}) and the host lacks: an editor pushes those it has. */
  missingSecrets: string[];
}

export interface HostStatus {
  schemaVersion: number;
  host: HostInfo | null;
  servers: ServerStatus[];
  /** The aggregate endpoint /mcp (every server's tools under one connection) and its sessions. */
  aggregate?: { endpoint: string; sessions: SessionStatus[] };
  /** Client config sync: paused after unsync; the last run's result per client (no diffs). */
  sync?: { paused: boolean; lastAt: string | null; clients: ClientSyncResult[] };
}

/** GET /api/client-token: the bearer token MCP clients send, as the running host holds it (control token required). */
export interface ClientTokenResult {
  token: string;
}

export interface HealthInfo {
  ok: true;
  pid: number;
  home: string;
  version: string;
  port: number;
}

/** Events on GET /api/events (SSE, one JSON object per `data:` line). */
export type HostEvent =
  | { type: 'server-state'; server: string; state: ServerState; previous: ServerState; reason: string | null; at: string }
  | { type: 'config-reloaded'; added: string[]; removed: string[]; changed: string[]; at: string }
  | { type: 'config-error'; message: string; problems: ConfigProblem[]; at: string }
  | { type: 'host-stopping'; at: string }
  /** A server's tool list changed, or was read for the first time after a start. */
  | { type: 'tools-changed'; server: string; at: string }
  /** An MCP client session opened or ended on an endpoint ("" is the aggregate `/mcp`). */
  | { type: 'sessions-changed'; endpoint: string; at: string }
  /** The host wrote (or tried to write) client config files. */
  | { type: 'clients-synced'; clients: ClientSyncResult[]; at: string }
  /** Secrets were set, changed or deleted in the host (their names, never values). */
  | { type: 'secrets-changed'; names: string[]; at: string };

export interface LogLine {
  /** ISO time the line arrived. */
  time: string;
  stream: 'stderr' | 'stdout' | 'host';
  text: string;
}

/** POST /api/servers/{start,stop,restart} body: no names means every server. */
export interface ServerActionRequest {
  names?: string[];
}

/** GET /api/servers/<name>/tools: what clients see, after the tools filter; null until the server was listed. */
export interface ServerToolsResult {
  tools: Array<{ name: string; description?: string }> | null;
}

export interface ServerActionResult {
  servers: ServerStatus[];
}

/** What a sync did to one client's config file (POST /api/sync, /api/unsync; the `clients-synced` event). */
export interface ClientSyncResult {
  /** claude, codex, cursor, gemini, windsurf, claude-desktop */
  client: string;
  label: string;
  file: string;
  /** would-write: a dry run found changes. not-installed: its config folder does not exist (nothing written). */
  status: 'written' | 'unchanged' | 'would-write' | 'error' | 'not-installed';
  added: string[];
  updated: string[];
  /** Entries of the user's replaced by ours (import --replace, sync --force); unsync puts them back. */
  replaced: string[];
  removed: string[];
  restored: string[];
  /** Names we left alone because the user's own entry is there. */
  conflicts: Array<{ name: string; reason: string }>;
  /** Entries we wrote that the user has changed since: theirs now. */
  released: string[];
  /** One line, when status is error (e.g. the file does not parse). */
  error?: string;
  /** Dry runs: a unified diff of the change. */
  diff?: string;
  /** The copy of the file taken before this write. */
  backup?: string;
}

/** POST /api/sync and /api/unsync body. */
export interface SyncRequest {
  dryRun?: boolean;
  /** Only these clients (default: the configured ones). */
  clients?: string[];
  /** sync: per client id, the user's entries to replace by ours (import --replace); kept for unsync. */
  replace?: Record<string, string[]>;
  /** sync: replace every user entry whose name a shared server has. */
  force?: boolean;
}

export interface SyncResult {
  /** After unsync, automatic syncs wait for the next explicit sync. */
  paused: boolean;
  clients: ClientSyncResult[];
}

/** POST /api/secrets body: values to set and names to delete (deleting a name that is not set is no change). */
export interface SecretsUpdate {
  set?: Record<string, string>;
  delete?: string[];
}

/** A secret the host knows of: set in its memory, referred to by servers, or both. Never its value. */
export interface SecretInfo {
  name: string;
  set: boolean;
  /** The servers whose env or headers refer to it (disabled ones too). */
  servers: string[];
}

/** GET /api/secrets. */
export interface SecretsList {
  secrets: SecretInfo[];
}

/** The answer to POST /api/secrets: names only. */
export interface SecretsUpdateResult extends SecretsList {
  /** The names whose value was set, changed or deleted by this request. */
  changed: string[];
}
