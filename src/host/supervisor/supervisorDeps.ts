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

