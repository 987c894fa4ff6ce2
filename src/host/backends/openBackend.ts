import { SharedMcpError } from '../../shared/errors';
import type { ServerDefinition } from '../../shared/config/configTypes';
import { redactError } from '../logs/redactError';
import type { ServerLog } from '../logs/serverLog';
import { interpolateEnv, type SecretLookup } from '../supervisor/serverEnv';
import type { Backend } from './backend';
import { staticHeaders } from './credentialSource';
import type { InitializeParams } from './jsonRpc';
import type { SendLimits } from './outboundMessage';
import { modernOnlyError } from './protocolEra';
import { StdioBackend } from './stdioBackend';

export interface OpenBackendOptions {
  /** The environment servers inherit (may still be captured from the login shell); ${env:NAME} resolves against it. */
  baseEnv: Promise<NodeJS.ProcessEnv>;
  /** ${secret:NAME} resolves against it; a missing one rejects with SECRET_MISSING before anything starts. */
  secrets: SecretLookup;
  log: ServerLog;
  /** Aborting stops a server that is still starting; the open then rejects once it is gone. */
  signal: AbortSignal;
  graceMs: number;
  /** Called as soon as a stdio server's process exists, before it is ready (to record it for orphan cleanup). */
  onSpawn(pid: number): void;
  /** Called when an open that spawned a process fails: the process is gone again (stopped here). */
  onSpawnUndone(pid: number): void;
  /** What the host says of itself in initialize (the mux's capabilities, or a per-session client's own). */
  init: InitializeParams;
  /** The largest message taken from the server (settings.maxMessageSize). */
  maxMessageBytes: number;
  /** The server's own caps on what is sent to it, read on every send (a reload changes them in place). */
  limits(): SendLimits;
  /** A remote refused its credentials after initialize (its callers have been answered). */
  onNeedsAuth(reason: string): void;
  /**
   * Known secret values out of text from the server or the SDK that reaches a caller: an open's error (a per-session
   * client gets it without a server state in between) and a remote's error answers.
   */
  redact?: (text: string) => string;
}

/**
 * Starts a stdio server or connects to a remote one, and completes MCP initialize; never leaves a process behind on
 * failure. A server that speaks only a newer protocol era rejects with PROTOCOL_ERA_UNSUPPORTED. Errors are redacted.
 */
export async function openBackend(def: ServerDefinition, options: OpenBackendOptions): Promise<Backend> {
  try {
    return await (def.transport === 'stdio' ? openStdio(def, options) : openRemote(def, options));
  } catch (err) {
    const failure = modernOnlyError(err) ?? err;
    throw options.redact ? redactError(failure, options.redact) : failure;
  }
}

async function openRemote(def: ServerDefinition, options: OpenBackendOptions): Promise<Backend> {
  const { log, signal } = options;
  const baseEnv = await untilAborted(options.baseEnv, signal);
  const credentials = staticHeaders(def, baseEnv, options.secrets);
  // Resolved once before connecting: a missing secret or variable is reported as such, and nothing is sent.
  await credentials.headers();
  // Loaded on first use: the MCP SDK client costs the host several MB of memory it needs only for remotes.
  const { RemoteBackend } = await import('./remoteBackend');
  const remote = await RemoteBackend.connect(def, { credentials, init: options.init, timeoutMs: def.startupTimeoutMs, log, signal, limits: options.limits, onNeedsAuth: options.onNeedsAuth, redact: options.redact });
  if (signal.aborted) {
    await remote.close();
    throw aborted();
  }
  return remote;
}

async function openStdio(def: ServerDefinition, options: OpenBackendOptions): Promise<Backend> {
  const { log, signal, graceMs } = options;
  const baseEnv = await untilAborted(options.baseEnv, signal);
  const backend = await StdioBackend.spawn(def, interpolateEnv(def, baseEnv, options.secrets), log, options.maxMessageBytes, options.limits);
  options.onSpawn(backend.pid);
  if (signal.aborted) {
    await backend.close(graceMs);
    options.onSpawnUndone(backend.pid);
    throw aborted();
  }
  log.line('host', `started pid ${backend.pid}: ${[def.command, ...def.args].join(' ')}`);
  const onAbort = (): void => {
    backend.close(graceMs).catch((err: Error) => log.line('host', `stopping the starting server failed: ${err.message}`));
  };
  signal.addEventListener('abort', onAbort, { once: true });
  try {
    await backend.initialize(options.init, def.startupTimeoutMs);
    if (signal.aborted) throw aborted();
    return backend;
  } catch (err) {
    await backend.close(graceMs);
    options.onSpawnUndone(backend.pid);
    throw err;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
}

/** The promise's value, unless the signal aborts first (then a rejection at once). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(aborted());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(aborted());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

function aborted(): SharedMcpError {
  return new SharedMcpError('SERVER_EXITED', 'stopped while starting');
}
