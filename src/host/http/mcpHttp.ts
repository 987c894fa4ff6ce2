import type { IncomingMessage, ServerResponse } from 'node:http';
import { SharedMcpError } from '../../shared/errors';
import { parseBoundedJson } from '../../shared/jsonDepth';
import { isJsonRpcMessage, type JsonRpcMessage } from '../backends/jsonRpc';
import { SSE_HEARTBEAT_MS, isPlainObject, readBody, startSseResponse } from './httpUtils';

/**
 * The most messages one POST may carry. Clients send one at a time (batches left MCP in 2025-06-18); each message of a
 * batch is a request in flight and an answer held until the last one comes, so a batch of 80,000 once cost 1.6 GB.
 */
export const MAX_BATCH_MESSAGES = 1000;

/** Reads an MCP POST body: one message or a batch, each checked for the JSON-RPC shape; over maxBytes is refused. */
export async function readMessages(req: IncomingMessage, maxBytes: number): Promise<{ messages: JsonRpcMessage[]; batch: boolean }> {
  const body = await readBody(req, maxBytes, `${maxBytes} bytes (settings.maxMessageSize)`);
  // Bounded depth: a value nested thousands deep would make JSON.stringify throw on its way to the server.
  const parsed = parseBoundedJson(body);
  const batch = Array.isArray(parsed);
  const messages = batch ? (parsed as unknown[]) : [parsed];
  if (messages.length > MAX_BATCH_MESSAGES) {
    throw new SharedMcpError('BAD_REQUEST', `Invalid Request: a batch of ${messages.length} messages; the host takes at most ${MAX_BATCH_MESSAGES} in one POST`);
  }
  if (messages.length === 0 || !messages.every(isJsonRpcMessage)) throw new SharedMcpError('BAD_REQUEST', 'Invalid Request: the body is not a JSON-RPC 2.0 message or batch');
  // MCP params are always an object: `null`, a string or an array would reach a server shared by everyone (one such
  // tools/call crashed a server that read params.name).
  if (!messages.every((m) => m.params === undefined || isPlainObject(m.params))) throw new SharedMcpError('BAD_REQUEST', 'Invalid Request: params must be an object');
  return { messages: messages as JsonRpcMessage[], batch };
}

/** Accept must allow JSON and SSE answers (the spec's rule for POST); `*\/*` allows both. */
export function checkPostHeaders(req: IncomingMessage): void {
  const type = req.headers['content-type'] ?? '';
  if (!type.includes('application/json')) throw new SharedMcpError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type: Content-Type must be application/json');
  const accept = req.headers.accept ?? '';
  const any = accept.includes('*/*');
  if (!any && !(accept.includes('application/json') && accept.includes('text/event-stream'))) {
    throw new SharedMcpError('NOT_ACCEPTABLE', 'Not Acceptable: Accept must include both application/json and text/event-stream');
  }
}

/** Opens an SSE response that carries MCP messages (`event: message`), already serialized, with a heartbeat. */
export function startSse(res: ServerResponse, headers: Record<string, string>, heartbeatMs = SSE_HEARTBEAT_MS): (text: string) => void {
  const write = startSseResponse(res, headers, heartbeatMs);
  return (text) => write(`event: message\ndata: ${text}\n\n`);
}
