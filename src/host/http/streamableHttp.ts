import type { IncomingMessage, ServerResponse } from 'node:http';
import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import { SUPPORTED_PROTOCOL_VERSIONS, errorResponse, type JsonRpcId, type JsonRpcMessage } from '../backends/jsonRpc';
import type { SessionRecord } from '../mux/clientSession';
import type { SessionManager } from '../mux/sessionManager';
import { CollectedAnswers, serializeForClient } from './clientAnswers';
import { HttpFailure } from './httpErrors';
import { checkInitializeParams } from './initializeParams';
import { checkPostHeaders, readMessages } from './mcpHttp';
import { unsupportedProtocolVersion, unsupportedVersionOf } from './modernProbe';
import { StreamableSession, type StreamOptions } from './streamableSession';

export interface StreamableHttpOptions {
  sessions: SessionManager;
  /** The cap on a client's message, and on one answer to a client (settings.maxMessageSize). */
  maxMessageBytes(): number;
  heartbeatMs: number;
}

/** One endpoint (`/mcp/<server>` or `/mcp`) over Streamable HTTP with stateful sessions (MCP 2025-03-26 to 2025-11-25). */
export class StreamableHttp {
  private readonly streamOptions: StreamOptions;
  private readonly make: (record: SessionRecord) => StreamableSession;

  constructor(private readonly options: StreamableHttpOptions) {
    this.streamOptions = { maxAnswerBytes: options.maxMessageBytes, heartbeatMs: options.heartbeatMs };
    this.make = (record) => new StreamableSession(record, this.streamOptions);
  }

  async post(req: IncomingMessage, res: ServerResponse, endpoint: string): Promise<void> {
    checkPostHeaders(req);
    const { messages, batch } = await readMessages(req, this.options.maxMessageBytes());
    const init = messages.find((m) => m.method === 'initialize');
    // A stale session header (from before a host restart the client noticed) is ignored: initialize opens a new session.
    if (init) return this.initialize(res, endpoint, init, messages.length);
    if (!hasSessionHeader(req)) {
      const requested = unsupportedVersionOf(req.headers['mcp-protocol-version'], messages);
      if (requested !== undefined) throw unsupportedProtocolVersion(requested, messages);
    }
    const ids: JsonRpcId[] = [];
    for (const m of messages) if (m.method !== undefined && m.id !== undefined && m.id !== null) ids.push(m.id);
    const max = this.options.maxMessageBytes();
    if (batch && !new CollectedAnswers(max, ids).fits) {
      throw new SharedMcpError('BAD_REQUEST', `Invalid Request: the answers to a batch of ${ids.length} requests cannot fit in the host's cap of ${max} bytes (settings.maxMessageSize); send fewer at once`);
    }
    const session = await this.sessionOf(req, endpoint);
    if (ids.length === 0) res.writeHead(202).end();
    else session.track(res, ids, batch);
    for (const m of messages) this.handle(session, m);
  }

  async get(req: IncomingMessage, res: ServerResponse, endpoint: string): Promise<void> {
    if (!(req.headers.accept ?? '').includes('text/event-stream')) throw new SharedMcpError('NOT_ACCEPTABLE', 'Not Acceptable: Accept must include text/event-stream');
    const session = await this.sessionOf(req, endpoint);
    if (!session.openStandalone(res)) throw new SharedMcpError('SESSION_CONFLICT', 'Conflict: this session already has an open stream');
  }

  delete(req: IncomingMessage, res: ServerResponse, endpoint: string): void {
    const id = sessionHeader(req);
    if (!this.options.sessions.knows(id, endpoint)) throw notFound();
    this.options.sessions.end(id, true);
    res.writeHead(200).end();
  }

  private async initialize(res: ServerResponse, endpoint: string, init: JsonRpcMessage, count: number): Promise<void> {
    if (count > 1) throw new SharedMcpError('BAD_REQUEST', 'Invalid Request: initialize must be sent alone');
    const id = init.id;
    if (id === undefined || id === null) throw new SharedMcpError('BAD_REQUEST', 'Invalid Request: initialize must be a request with an id');
    try {
      const params = checkInitializeParams(init.params);
      const { session, result } = await this.options.sessions.create(endpoint, params, this.make);
      // The client gave up while the server started: nobody will ever use this session (or its per-session process).
      if (res.destroyed || res.writableEnded) return this.options.sessions.end(session.record.id, true);
      const body = serializeForClient({ jsonrpc: '2.0', id, result }, this.options.maxMessageBytes()) as string;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'mcp-session-id': session.record.id });
      res.end(body);
    } catch (err) {
      throw new HttpFailure(toSharedMcpError(err), { id });
    }
  }

  /** One message into the session; a throw on its way becomes the error answer of that request alone. */
  private handle(session: StreamableSession, m: JsonRpcMessage): void {
    try {
      this.options.sessions.handle(session, m);
    } catch (err) {
      if (m.method !== undefined && m.id !== undefined && m.id !== null) {
        const e = toSharedMcpError(err);
        session.deliver(errorResponse(m.id, e.jsonRpcCode, e.message));
      }
    }
  }

  /** The session a request names, recreated after a host restart when it is known; 400 without the header, 404 unknown. */
  private async sessionOf(req: IncomingMessage, endpoint: string): Promise<StreamableSession> {
    const version = req.headers['mcp-protocol-version'];
    if (typeof version === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(version)) {
      throw new SharedMcpError('BAD_REQUEST', `Bad Request: unsupported protocol version ${version.slice(0, 64)} (supported: ${SUPPORTED_PROTOCOL_VERSIONS.join(', ')})`);
    }
    const session = await this.options.sessions.find(sessionHeader(req), endpoint, this.make);
    if (!(session instanceof StreamableSession) || session.isTerminated) throw notFound();
    return session;
  }
}

function hasSessionHeader(req: IncomingMessage): boolean {
  const id = req.headers['mcp-session-id'];
  return typeof id === 'string' && id !== '';
}

function sessionHeader(req: IncomingMessage): string {
  const id = req.headers['mcp-session-id'];
  if (typeof id !== 'string' || id === '') throw new SharedMcpError('BAD_REQUEST', 'Bad Request: Mcp-Session-Id header is required');
  return id;
}

function notFound(): SharedMcpError {
  return new SharedMcpError('SESSION_NOT_FOUND', 'Session not found');
}
