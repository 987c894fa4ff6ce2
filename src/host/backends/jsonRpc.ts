/** JSON-RPC 2.0 as MCP uses it: the message shape and the protocol versions the host speaks. */

export type JsonRpcId = string | number;

export interface JsonRpcError {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcMessage {
  jsonrpc: '2.0';
  id?: JsonRpcId | null;
  method?: string;
  params?: Record<string, unknown> & { _meta?: Record<string, unknown> };
  result?: Record<string, unknown>;
  error?: JsonRpcError;
}

export interface ServerInfo {
  name: string;
  version: string;
}

export interface InitializeResult {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  serverInfo: ServerInfo;
  instructions?: string;
  [key: string]: unknown;
}

export interface InitializeParams {
  protocolVersion: string;
  capabilities: Record<string, unknown>;
  clientInfo: ServerInfo;
  [key: string]: unknown;
}

export const LATEST_PROTOCOL_VERSION = '2025-11-25';
/** Every version the MCP TypeScript SDK supports, newest first. */
export const SUPPORTED_PROTOCOL_VERSIONS = [LATEST_PROTOCOL_VERSION, '2025-06-18', '2025-03-26', '2024-11-05', '2024-10-07'];
/**
 * The versions the host names when it refuses a 2026-07-28 request: the released revisions only. A dual-era client
 * retries with one it knows, and Codex 0.171 gives up instead when the list holds one it does not (2024-10-07, a
 * pre-release the SDK still accepts).
 */
/** The version the host answers a client's initialize with: the client's own when the host speaks it, else `fallback`. */
export function answeredProtocolVersion(asked: unknown, fallback: string): string {
  return typeof asked === 'string' && SUPPORTED_PROTOCOL_VERSIONS.includes(asked) ? asked : fallback;
}

export const ADVERTISED_PROTOCOL_VERSIONS = SUPPORTED_PROTOCOL_VERSIONS.filter((v) => v !== '2024-10-07');

/** Standard JSON-RPC and MCP error codes the host answers with. */
export const RPC_INVALID_REQUEST = -32600;
export const RPC_METHOD_NOT_FOUND = -32601;
export const RPC_INVALID_PARAMS = -32602;
export const RPC_INTERNAL_ERROR = -32603;
export const RPC_CONNECTION_CLOSED = -32000;

export function errorResponse(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcMessage {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** True when the value has the shape of one JSON-RPC 2.0 message (request, notification or response). */
export function isJsonRpcMessage(v: unknown): v is JsonRpcMessage {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const m = v as JsonRpcMessage;
  if (m.jsonrpc !== '2.0') return false;
  if (m.method !== undefined) return typeof m.method === 'string' && (m.id === undefined || typeof m.id === 'string' || typeof m.id === 'number');
  return (typeof m.id === 'string' || typeof m.id === 'number') && (m.result !== undefined || m.error !== undefined);
}
