import type { IncomingMessage, ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import { RPC_INVALID_REQUEST, errorResponse, type JsonRpcId, type JsonRpcMessage } from '../backends/jsonRpc';
import type { SessionRecord } from '../mux/clientSession';
import type { HostedSession, SessionManager } from '../mux/sessionManager';
import { serializeForClient } from './clientAnswers';
import { checkInitializeParams } from './initializeParams';
import { readMessages, startSse } from './mcpHttp';

/** A legacy session lives exactly as long as its GET stream: everything for the client goes down that stream. */
class LegacySession implements HostedSession {
  readonly transport = 'sse';

  constructor(
    readonly record: SessionRecord,
    private readonly write: (msg: JsonRpcMessage) => void,
    private readonly res: ServerResponse,
  ) {}

  deliver(msg: JsonRpcMessage): void {
    this.write(msg);
  }

  terminate(): void {
    this.res.end();
  }

  hasOpenStream(): boolean {
    return !this.res.writableEnded;
  }
}

interface Connection {
  endpoint: string;
  res: ServerResponse;
  write: (msg: JsonRpcMessage) => void;
  session?: LegacySession;
  opening?: Promise<void>;
}

/** The HTTP+SSE transport of MCP 2024-11-05: GET /sse/<server> opens the stream, POST /messages/<server>?sessionId= carries client messages. */
export class LegacySseServer {
  private readonly connections = new Map<string, Connection>();

  constructor(
    private readonly sessions: SessionManager,
    private readonly maxMessageBytes: () => number,
    private readonly heartbeatMs: number,
    private readonly log: (message: string) => void,
  ) {}

  /** GET: opens the stream and announces where to POST. */
  open(res: ServerResponse, endpoint: string, messagesPath: string): void {
    const id = randomUUID();
    const writeText = startSse(res, {}, this.heartbeatMs);
    const write = (msg: JsonRpcMessage): void => {
      const text = serializeForClient(msg, this.maxMessageBytes());
      if (text !== undefined) writeText(text);
    };
    res.write(`event: endpoint\ndata: ${messagesPath}?sessionId=${id}\n\n`);
    this.connections.set(id, { endpoint, res, write });
    res.on('close', () => {
      const conn = this.connections.get(id);
      this.connections.delete(id);
      try {
        if (conn?.session) this.sessions.end(id, true);
      } catch (err) {
        // Nothing may throw out of a stream's listener: that would take the host down.
        this.log(`ending legacy session ${id.slice(0, 8)} failed: ${toSharedMcpError(err).message}`);
      }
    });
  }

  /** POST: one message or a batch for the stream named by ?sessionId; answered 202, results go down the stream. */
  async post(req: IncomingMessage, res: ServerResponse, endpoint: string, sessionId: string | null): Promise<void> {
    const conn = sessionId ? this.connections.get(sessionId) : undefined;
    if (!conn || conn.endpoint !== endpoint || !sessionId) throw new SharedMcpError('SESSION_NOT_FOUND', 'Session not found');
    if (!(req.headers['content-type'] ?? '').includes('application/json')) throw new SharedMcpError('UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type: Content-Type must be application/json');
    const { messages } = await readMessages(req, this.maxMessageBytes());
    res.writeHead(202, { 'content-type': 'text/plain' }).end('Accepted');
    for (const m of messages) {
      try {
        await this.receive(sessionId, conn, m);
      } catch (err) {
        // The 202 is out: a throw on one message's way becomes its error answer, down the stream.
        const e = toSharedMcpError(err);
        if (m.method !== undefined && m.id !== undefined && m.id !== null) conn.write(errorResponse(m.id, e.jsonRpcCode, e.message));
      }
    }
  }

  /** Ends every stream (host shutdown); idempotent. */
  close(): void {
    for (const conn of this.connections.values()) conn.res.end();
    this.connections.clear();
  }

  private async receive(id: string, conn: Connection, m: JsonRpcMessage): Promise<void> {
    if (m.method === 'initialize') {
      if (conn.session || conn.opening) return conn.write(errorResponse(m.id as JsonRpcId, RPC_INVALID_REQUEST, 'this session is already initialized'));
      const opening = this.initialize(id, conn, m);
      conn.opening = opening;
      await opening;
      // A failed initialize may be sent again (with params fixed, or once the server runs).
      if (!conn.session && conn.opening === opening) conn.opening = undefined;
      return;
    }
    await conn.opening;
    if (conn.session) return this.sessions.handle(conn.session, m);
    if (m.method !== undefined && m.id !== undefined && m.id !== null) conn.write(errorResponse(m.id, RPC_INVALID_REQUEST, 'the session is not initialized: send initialize first'));
  }

  private async initialize(id: string, conn: Connection, m: JsonRpcMessage): Promise<void> {
    try {
      const params = checkInitializeParams(m.params);
      const { session, result } = await this.sessions.create(conn.endpoint, params, (record) => new LegacySession(record, conn.write, conn.res), { id, persist: false });
      if (!this.connections.has(id)) return this.sessions.end(id, true); // the stream closed while the server started
      conn.session = session;
      conn.write({ jsonrpc: '2.0', id: m.id as JsonRpcId, result });
    } catch (err) {
      const e = toSharedMcpError(err);
      if (m.id !== undefined && m.id !== null) conn.write(errorResponse(m.id, e.jsonRpcCode, e.message));
    }
  }
}
