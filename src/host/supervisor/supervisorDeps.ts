import type { Clock } from '../../shared/clock';
import type { ServerDefinition } from '../../shared/config/configTypes';
import type { Backend } from '../backends/backend';
import type { InitializeParams } from '../backends/jsonRpc';
import type { OpenBackendOptions } from '../backends/openBackend';
import type { ServerLog } from '../logs/serverLog';
import type { ProcessTracker } from './processTracker';
import type { SecretLookup } from './serverEnv';

/** What a ServerSupervisor is given by the host (and, in tests, a fake backend opener and clock). */
export interface SupervisorDeps {
  log: ServerLog;
  tracker: Pick<ProcessTracker, 'add' | 'remove' | 'observe'>;
  /** The environment servers inherit (the login shell's, captured once). */
  baseEnv(): Promise<NodeJS.ProcessEnv>;
  /** The host's secrets, for ${secret:NAME}. */
  secrets: SecretLookup;
  stopGraceMs(): number;
  /** What the host declares to the server in initialize. */
  initParams(): InitializeParams;
  maxMessageBytes(): number;
  /** Known secret values out of every reason and lastError (they reach status, events and MCP clients). */
  redact?(text: string): string;
  /** Starts or connects a backend (tests give a fake one). */
  openBackend?(def: ServerDefinition, options: OpenBackendOptions): Promise<Backend>;
  /** Time and timers for backoff, windows and idle stops (tests give a fake one). */
  clock?: Clock;
}


/** What differs between one open and another: the server's own start, or one session's backend. */
export interface OpenRequest {
  signal: AbortSignal;
  init: InitializeParams;
  /** The process tracker's record for this process (the server's name, or one per session's process). */
  recordOf(pid: number): string;
  onNeedsAuth(reason: string): void;
}

/** The one way the host's dependencies become the options of an open; `def` is read on every send (live limits). */
export function openOptions(deps: SupervisorDeps, def: () => ServerDefinition, open: OpenRequest): OpenBackendOptions {
  return {
    baseEnv: deps.baseEnv(),
    secrets: deps.secrets,
    log: deps.log,
    signal: open.signal,
    graceMs: deps.stopGraceMs(),
    init: open.init,
    maxMessageBytes: deps.maxMessageBytes(),
    limits: def,
    onSpawn: (pid) => deps.tracker.add(open.recordOf(pid), pid),
    onSpawnUndone: (pid) => deps.tracker.remove(open.recordOf(pid), pid),
    onNeedsAuth: open.onNeedsAuth,
    // A failed open can reach a client with no server state (which redacts) in between: a per-session start.
    ...(deps.redact ? { redact: deps.redact } : {}),
  };
}

/** A per-session server's process in the process tracker: one record per process, so that every session's is remembered. */
export function ownProcessRecord(server: string, pid: number): string {
  return `${server}#${pid}`;
}
