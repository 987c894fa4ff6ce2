import type { IncomingMessage, ServerResponse } from 'node:http';
import { SharedMcpError } from '../../shared/errors';
import { SUPPORTED_PROTOCOL_VERSIONS, type InitializeParams, type JsonRpcId, type JsonRpcMessage } from '../backends/jsonRpc';
import type { SessionRecord } from '../mux/clientSession';
import type { SessionManager } from '../mux/sessionManager';
import { checkPostHeaders, readMessages, sendRpcError } from './mcpHttp';
import { StreamableSession } from './streamableSession';

export interface StreamableHttpOptions {
  sessions: SessionManager;
  maxMessageBytes(): number;
}

const make = (record: SessionRecord): StreamableSession => new StreamableSession(record);

/** Serves one endpoint (`/mcp/<server>` or `/mcp`) over Streamable HTTP with stateful sessions (MCP 2025-03-26 and later). */
export async function handleStreamableHttp(req: IncomingMessage, res: ServerResponse, endpoint: string, options: StreamableHttpOptions): Promise<void> {
  try {
    switch (req.method) {
      case 'POST':
        return await handlePost(req, res, endpoint, options);
      case 'GET':
        return await handleGet(req, res, endpoint, options);
      case 'DELETE':
        return await handleDelete(req, res, endpoint, options);
      default:
        throw new SharedMcpError('METHOD_NOT_ALLOWED', `Method Not Allowed: ${req.method ?? ''}`);
    }
  } catch (err) {
    sendRpcError(res, err, null, req.method === 'POST' || req.method === 'GET' || req.method === 'DELETE' ? {} : { allow: 'GET, POST, DELETE' });
  }
}

async function handlePost(req: IncomingMessage, res: ServerResponse, endpoint: string, options: StreamableHttpOptions): Promise<void> {
  checkPostHeaders(req);
  const { messages, batch } = await readMessages(req, options.maxMessageBytes());
  const init = messages.find((m) => m.method === 'initialize');
  if (init) {
    if (messages.length > 1) throw new SharedMcpError('BAD_REQUEST', 'Invalid Request: initialize must be sent alone');
    // A stale session header (from before a host restart the client noticed) is ignored: initialize opens a new session.
    const params = (init.params ?? {}) as unknown as InitializeParams;
    if (typeof params.protocolVersion !== 'string') throw new SharedMcpError('BAD_REQUEST', 'Invalid Request: initialize needs params.protocolVersion');
    try {
      const { session, result } = await options.sessions.create(endpoint, { ...params, capabilities: params.capabilities ?? {} }, make);
      // The client gave up while the server started: nobody will ever use this session (or its per-session process).
      if (res.destroyed || res.writableEnded) return options.sessions.end(session.record.id, true);
      const body = JSON.stringify({ jsonrpc: '2.0', id: init.id, result });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'mcp-session-id': session.record.id });
      res.end(body);
    } catch (err) {
      sendRpcError(res, err, init.id as JsonRpcId);
    }
    return;
  }
  const session = await sessionOf(req, endpoint, options);
  const ids: JsonRpcId[] = [];
  for (const m of messages) if (m.method !== undefined && m.id !== undefined && m.id !== null) ids.push(m.id);
  if (ids.length === 0) {
    res.writeHead(202).end();
  } else {
    session.track(res, ids, batch);
  }
  for (const m of messages) options.sessions.handle(session, m as JsonRpcMessage);
}

async function handleGet(req: IncomingMessage, res: ServerResponse, endpoint: string, options: StreamableHttpOptions): Promise<void> {
  if (!(req.headers.accept ?? '').includes('text/event-stream')) throw new SharedMcpError('NOT_ACCEPTABLE', 'Not Acceptable: Accept must include text/event-stream');
  const session = await sessionOf(req, endpoint, options);
  if (!session.openStandalone(res)) throw new SharedMcpError('SESSION_CONFLICT', 'Conflict: this session already has an open stream');
}

async function handleDelete(req: IncomingMessage, res: ServerResponse, endpoint: string, options: StreamableHttpOptions): Promise<void> {
  const id = sessionHeader(req);
  if (!options.sessions.knows(id, endpoint)) throw notFound();
  options.sessions.end(id, true);
  res.writeHead(200).end();
}

/** The session a request names, recreated after a host restart when it is known; 400 without the header, 404 unknown. */
async function sessionOf(req: IncomingMessage, endpoint: string, options: StreamableHttpOptions): Promise<StreamableSession> {
  const version = req.headers['mcp-protocol-version'];
  if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
    throw new SharedMcpError('BAD_REQUEST', `Bad Request: unsupported protocol version ${version} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
  }
  const session = await options.sessions.find(sessionHeader(req), endpoint, make);
  if (!(session instanceof StreamableSession) || session.isTerminated) throw notFound();
  return session;
}

function sessionHeader(req: IncomingMessage): string {
  const id = req.headers['mcp-session-id'];
  if (typeof id !== 'string' || id === '') throw new SharedMcpError('BAD_REQUEST', 'Bad Request: Mcp-Session-Id header is required');
  return id;
}

function notFound(): SharedMcpError {
  return new SharedMcpError('SESSION_NOT_FOUND', 'Session not found');
}
