import * as path from 'node:path';
import { DEFAULT_PORT } from '../homePaths';
import { SharedMcpError } from '../errors';
import { parseDurationMs, parseSizeBytes } from '../units';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_QUEUED_BYTES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_SERVER_MAX_MESSAGE_BYTES,
  DEFAULT_MAX_SESSIONS,
  DEFAULT_SESSION_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_RESTARTS,
  DEFAULT_RESTART_DELAY_MS,
  DEFAULT_STARTUP_TIMEOUT_MS,
  DEFAULT_STOP_GRACE_MS,
  formatProblem,
  type HostSettings,
  type LoadedConfig,
  type LogLevel,
  type ServerDefinition,
  type Sharing,
  type Transport,
} from './configTypes';
import { readConfigText } from './configFile';
import { validateConfigText, type RawConfig, type RawServer } from './validateConfig';

/** Reads and validates a config file; a missing file is an empty config. Throws CONFIG_INVALID naming line, column and key path. */
export async function loadConfig(file: string): Promise<LoadedConfig> {
  return parseConfig(await readConfigText(file), file);
}

/** Validates config text and normalizes it; throws CONFIG_INVALID with every problem in details. */
export function parseConfig(text: string, file: string): LoadedConfig {
  const result = validateConfigText(text);
  if (!result.raw) {
    const [first, ...rest] = result.errors;
    const more = rest.length > 0 ? ` (and ${rest.length} more problem${rest.length > 1 ? 's' : ''})` : '';
    throw new SharedMcpError('CONFIG_INVALID', `${formatProblem(file, first)}${more}`, { problems: result.errors.map((p) => ({ ...p, file })) });
  }
  return normalize(result.raw, file, result.warnings);
}

function normalize(raw: RawConfig, file: string, warnings: LoadedConfig['warnings']): LoadedConfig {
  const dir = path.dirname(path.resolve(file));
  const s = raw.settings ?? {};
  const settings: HostSettings = {
    port: s.port ?? s.portBase ?? DEFAULT_PORT,
    logLevel: (s.logLevel as LogLevel | undefined) ?? 'info',
    shellEnv: s.shellEnv ?? true,
    stopGraceMs: duration(s.stopGrace, DEFAULT_STOP_GRACE_MS),
    maxMessageBytes: s.maxMessageSize !== undefined ? (parseSizeBytes(s.maxMessageSize) ?? DEFAULT_MAX_MESSAGE_BYTES) : DEFAULT_MAX_MESSAGE_BYTES,
    maxSessions: s.maxSessions ?? DEFAULT_MAX_SESSIONS,
    sessionIdleTimeoutMs: duration(s.sessionIdleTimeout, DEFAULT_SESSION_IDLE_TIMEOUT_MS),
    syncClients: s.syncClients ?? 'auto',
    persistSecrets: s.persistSecrets ?? false,
  };
  const servers = Object.entries(raw.mcpServers ?? {}).map(([name, srv]) => normalizeServer(name, srv, dir));
  return { path: path.resolve(file), settings, servers, warnings };
}

function normalizeServer(name: string, s: RawServer, configDir: string): ServerDefinition {
  const limits = s.resourceLimits ?? {};
  return {
    name,
    transport: transportOf(s),
    ...(s.command !== undefined ? { command: s.command } : {}),
    args: s.args ?? [],
    env: s.env ?? {},
    ...(s.cwd !== undefined ? { cwd: path.resolve(configDir, expandTilde(s.cwd)) } : {}),
    ...(s.url !== undefined ? { url: s.url } : {}),
    headers: s.headers ?? {},
    disabled: s.disabled ?? false,
    autoStart: s.autoStart ?? true,
    ...(s.idleTimeout !== undefined ? { idleTimeoutMs: duration(s.idleTimeout, 0) } : {}),
    startupTimeoutMs: duration(s.startupTimeout, DEFAULT_STARTUP_TIMEOUT_MS),
    requestTimeoutMs: duration(s.requestTimeout, DEFAULT_REQUEST_TIMEOUT_MS),
    sharing: (s.sharing as Sharing | undefined) ?? 'multiplex',
    tools: { ...(s.tools?.enabled ? { enabled: s.tools.enabled } : {}), ...(s.tools?.disabled ? { disabled: s.tools.disabled } : {}) },
    roots: (s.roots ?? []).map((r) => path.resolve(configDir, expandTilde(r))),
    ...(limits.maxMemory !== undefined ? { maxMemoryBytes: parseSizeBytes(limits.maxMemory) } : {}),
    maxRestarts: limits.maxRestarts ?? DEFAULT_MAX_RESTARTS,
    restartDelayMs: duration(limits.restartDelay, DEFAULT_RESTART_DELAY_MS),
    maxMessageBytes: size(limits.maxMessageSize, DEFAULT_SERVER_MAX_MESSAGE_BYTES),
    maxQueuedBytes: size(limits.maxQueueSize, DEFAULT_MAX_QUEUED_BYTES),
  };
}

function transportOf(s: RawServer): Transport {
  if (s.type === 'sse') return 'sse';
  if (s.type === 'http' || s.type === 'streamable-http' || s.type === 'streamableHttp') return 'http';
  if (s.type === 'stdio') return 'stdio';
  return s.url !== undefined ? 'http' : 'stdio';
}

function size(value: number | string | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseSizeBytes(value) ?? fallback);
}

function duration(value: number | string | undefined, fallback: number): number {
  return value === undefined ? fallback : (parseDurationMs(value) ?? fallback);
}

function expandTilde(p: string): string {
  return p === '~' || p.startsWith('~/') ? path.join(process.env.HOME ?? '', p.slice(1)) : p;
}

/** The servers whose definitions differ between two configs: added, removed, changed (by name). */
export function diffServers(before: ServerDefinition[], after: ServerDefinition[]): { added: string[]; removed: string[]; changed: string[] } {
  const old = new Map(before.map((d) => [d.name, canonicalJson(d)]));
  const now = new Map(after.map((d) => [d.name, canonicalJson(d)]));
  return {
    added: [...now.keys()].filter((n) => !old.has(n)),
    removed: [...old.keys()].filter((n) => !now.has(n)),
    changed: [...now.keys()].filter((n) => old.has(n) && old.get(n) !== now.get(n)),
  };
}

/** JSON with object keys sorted, so reordering keys in env or headers is not a change; array order still counts. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
