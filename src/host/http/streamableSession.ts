import type { ServerResponse } from 'node:http';
import { RPC_CONNECTION_CLOSED, errorResponse, type JsonRpcId, type JsonRpcMessage } from '../backends/jsonRpc';
import type { SessionRecord } from '../mux/clientSession';
import type { HostedSession } from '../mux/sessionManager';
import { CollectedAnswers, serializeForClient } from './clientAnswers';
import { startSse } from './mcpHttp';

/** What a session's streams need from the host. */
export interface StreamOptions {
  /** The largest answer the host sends a client in one piece (settings.maxMessageSize). */
  maxAnswerBytes(): number;
  /** How often a quiet SSE stream gets a keep-alive comment. */
  heartbeatMs: number;
}

/**
 * The answer to one POST that carried requests. It stays a plain JSON answer while only final responses arrive,
 * and turns into an SSE stream as soon as anything else belongs to it (progress, a server→client request): the
 * JSON-only mode of other servers loses those.
 */
export class PostStream {
  private write: ((text: string) => void) | undefined;
  private readonly collected: CollectedAnswers;
  private done = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly waiting: Set<JsonRpcId>,
    private readonly batch: boolean,
    private readonly headers: Record<string, string>,
    private readonly options: StreamOptions,
    private readonly onDone: (stream: PostStream) => void,
  ) {
    this.collected = new CollectedAnswers(options.maxAnswerBytes(), waiting);
  }

  respond(msg: JsonRpcMessage): void {
    if (this.done || !this.waiting.delete(msg.id as JsonRpcId)) return;
    if (this.write) this.send(msg);
    else this.collected.add(msg);
    if (this.waiting.size === 0) this.finish();
  }

  /** The client cancelled one of the requests: it gets no answer; the HTTP answer ends once nothing else waits. */
  cancel(id: JsonRpcId): void {
    if (this.done || !this.waiting.delete(id)) return;
    if (this.waiting.size > 0) return;
    // An empty event stream is a complete answer that carries no response, which is what a cancelled request gets.
    if (!this.write && this.collected.count === 0) this.openStream();
    this.finish();
  }

  event(msg: JsonRpcMessage): void {
    if (this.done) return;
    if (!this.write) {
      const write = this.openStream();
      for (const text of this.collected.drain()) write(text);
    }
    this.send(msg);
  }

  /** The session ended: every request still waiting gets an error, so the client is not left with an empty answer. */
  abort(): void {
    for (const id of [...this.waiting]) this.respond(errorResponse(id, RPC_CONNECTION_CLOSED, 'the session ended before the server answered'));
  }

  private openStream(): (text: string) => void {
    this.write = startSse(this.res, this.headers, this.options.heartbeatMs);
    return this.write;
  }

  private send(msg: JsonRpcMessage): void {
    const text = serializeForClient(msg, this.options.maxAnswerBytes());
    if (text !== undefined) this.write?.(text);
  }

  private finish(): void {
    this.done = true;
    if (this.write) this.res.end();
    else this.sendJson();
    this.onDone(this);
  }

  private sendJson(): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    const body = this.collected.body(this.batch);
    this.res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...this.headers });
    this.res.end(body);
  }
}

/** One Streamable HTTP session: open POST answers by request id, and the optional GET stream for everything else. */
export class StreamableSession implements HostedSession {
  readonly transport = 'streamable-http';
  private standalone: { res: ServerResponse; write: (msg: JsonRpcMessage) => void } | undefined;
  private readonly open = new Map<JsonRpcId, PostStream>();
  private terminated = false;

  constructor(
    readonly record: SessionRecord,
    private readonly options: StreamOptions,
  ) {}

  get isTerminated(): boolean {
    return this.terminated;
  }

  /** Registers a POST's requests before they are handled (answers can come synchronously). */
  track(res: ServerResponse, ids: JsonRpcId[], batch: boolean): void {
    const stream = new PostStream(res, new Set(ids), batch, { 'mcp-session-id': this.record.id }, this.options, (s) => {
      for (const id of ids) if (this.open.get(id) === s) this.open.delete(id);
    });
    for (const id of ids) this.open.set(id, stream);
    res.on('close', () => {
      for (const id of ids) if (this.open.get(id) === stream) this.open.delete(id);
    });
  }

  deliver(msg: JsonRpcMessage, relatedId?: JsonRpcId): void {
    if (msg.method === undefined) {
      this.open.get(msg.id as JsonRpcId)?.respond(msg);
      return;
    }
    const post = relatedId !== undefined ? this.open.get(relatedId) : undefined;
    if (post) post.event(msg);
    else this.standalone?.write(msg);
  }

  cancelled(clientId: JsonRpcId): void {
    this.open.get(clientId)?.cancel(clientId);
  }

  /** Attaches the GET stream; false when one is open already. */
  openStandalone(res: ServerResponse): boolean {
    if (this.standalone) return false;
    const writeText = startSse(res, { 'mcp-session-id': this.record.id }, this.options.heartbeatMs);
    const write = (msg: JsonRpcMessage): void => {
      const text = serializeForClient(msg, this.options.maxAnswerBytes());
      if (text !== undefined) writeText(text);
    };
    res.write(': connected\n\n');
    const entry = { res, write };
    this.standalone = entry;
    res.on('close', () => {
      if (this.standalone === entry) this.standalone = undefined;
    });
    return true;
  }

  hasOpenStream(): boolean {
    return this.standalone !== undefined;
  }

  terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.standalone?.res.end();
    this.standalone = undefined;
    for (const stream of new Set(this.open.values())) stream.abort();
    this.open.clear();
  }
}
