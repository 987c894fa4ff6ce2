import type { IncomingMessage, ServerResponse } from 'node:http';
import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import type { JsonRpcId } from '../backends/jsonRpc';
import type { ErrorStyle } from './routeTable';

/** What an error answer carries besides the error: the JSON-RPC request's id and error data, extra headers. */
export interface FailureAnswer {
  id?: JsonRpcId | null;
  data?: unknown;
  headers?: Record<string, string>;
}

/** An error answered with more than its code and message (the id of the request it answers, a header such as Allow). */
export class HttpFailure extends Error {
  constructor(
    readonly error: SharedMcpError,
    readonly answer: FailureAnswer,
  ) {
    super(error.message);
  }
}

/**
 * The one mapping from an error to an HTTP answer: SharedMcpError codes give the status; MCP routes get a JSON-RPC
 * error body, the rest `{error: {code, message}}`. After the headers went out only the connection can be cut.
 */
export function sendFailure(req: IncomingMessage, res: ServerResponse, style: ErrorStyle, err: unknown): void {
  const failure = err instanceof HttpFailure ? err : undefined;
  const e = failure?.error ?? toSharedMcpError(err);
  const answer = failure?.answer ?? {};
  if (res.headersSent || res.destroyed) {
    res.destroy();
    return;
  }
  const body = style === 'json-rpc' ? JSON.stringify(rpcErrorBody(e, answer)) : JSON.stringify(e.toJSON());
  const headers: Record<string, string | number> = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store', ...answer.headers };
  // A body nobody read (a request refused before it was read, or cut off at the size cap) is not waited for: the
  // connection closes after the answer instead of draining what a client without a token keeps sending.
  if (bodyUnread(req)) headers.connection = 'close';
  res.writeHead(e.httpStatus, headers);
  res.end(body);
}

function bodyUnread(req: IncomingMessage): boolean {
  if (req.complete) return false;
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function rpcErrorBody(e: SharedMcpError, answer: FailureAnswer): unknown {
  const error = answer.data === undefined ? { code: e.jsonRpcCode, message: e.message } : { code: e.jsonRpcCode, message: e.message, data: answer.data };
  return { jsonrpc: '2.0', id: answer.id ?? null, error };
}

export function unauthorized(message: string, headers?: Record<string, string>): HttpFailure {
  return new HttpFailure(new SharedMcpError('UNAUTHORIZED', message), { headers });
}
