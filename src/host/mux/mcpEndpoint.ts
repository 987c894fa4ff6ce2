import type { ToolSummary } from './listCache';
import type { Event } from '../../shared/emitter';
import type { Backend } from '../backends/backend';
import type { InitializeParams, InitializeResult, JsonRpcMessage } from '../backends/jsonRpc';
import type { ClientSession } from './clientSession';
import type { SessionStats } from './sessionStats';

/** What an MCP endpoint (/mcp/<server>, /mcp) offers the transports that carry sessions to it. */
export interface McpEndpoint {
  /** Answers the session's initialize (record.init); the session counts as open once this resolves. */
  open(session: ClientSession): Promise<InitializeResult>;
  /** A message from the client, after open: request, notification or response. */
  handle(session: ClientSession, msg: JsonRpcMessage): void;
  /** The endpoint's counters for an open session (the endpoint is their only writer); undefined when not open here. */
  stats(session: ClientSession): SessionStats | undefined;
  /** The session ended (closed by the client, reaped, or its transport is gone); cancels what it had in flight. */
  close(session: ClientSession): void;
  /** Sessions this endpoint ended by itself (the server was removed). */
  readonly onDidEndSession: Event<ClientSession>;
  /** The number of tools clients see, when known. */
  toolCount(): number | null;
  /** The tools clients see (after the tools filter), when known. */
  tools(): ToolSummary[] | null;
  /** Ends every session; idempotent. */
  dispose(): void;
}

/** Where a mux gets its backend: the server's supervisor (shared), or a backend of the session's own. */
export interface BackendSource {
  readonly current: Backend | undefined;
  readonly onDidChange: Event<Backend | undefined>;
  /** The running backend, starting one when that is the server's way (lazy, idle); rejects with a clear error otherwise. */
  ready(init?: InitializeParams): Promise<Backend>;
  /** How many sessions use the source (the idle timer runs at zero). */
  sessionsChanged(count: number): void;
}
