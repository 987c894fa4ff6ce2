import type { InitializeParams, JsonRpcId, JsonRpcMessage } from '../backends/jsonRpc';

/** What a session said of itself in initialize; persisted so a session can be recreated after a host restart. */
export interface SessionRecord {
  id: string;
  /** The endpoint: a server name, or "" for the aggregate /mcp. */
  endpoint: string;
  /** The version the host answered with. */
  protocolVersion: string;
  /** The client's initialize params as sent. */
  init: InitializeParams;
  createdAt: number;
  lastActivity: number;
}

/**
 * One MCP client session as the mux sees it, whatever carries it (Streamable HTTP, legacy SSE, the aggregate).
 * deliver() sends a message to the client; relatedId names the client request it belongs to (its stream). What the
 * session has in flight is counted by the endpoint it is open on (McpEndpoint.stats), not by the transport.
 */
export interface ClientSession {
  readonly record: SessionRecord;
  deliver(msg: JsonRpcMessage, relatedId?: JsonRpcId): void;
  /** The client cancelled this request: no answer will come, so whatever waits for one can stop waiting. */
  cancelled?(clientId: JsonRpcId): void;
}
