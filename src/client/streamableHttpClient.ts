import * as http from 'node:http';
import { SharedMcpError, toSharedMcpError } from '../shared/errors';
import { parseBoundedJson } from '../shared/jsonDepth';
import { parseSse } from './sseParser';

const SESSION_GONE = new SharedMcpError('SESSION_NOT_FOUND', '');

/** One host's Streamable HTTP endpoint for one server, and the bearer token it wants. */
export interface McpTarget {
  url: URL;
  token: string;
}

export interface McpHeaders {
  sessionId?: string;
  protocolVersion?: string;
}

/**
 * How a POST ended. `unsent`: no connection was ever made, so the host cannot have seen it. `answered`: the whole
 * answer arrived. `refused`: an error status (`fromHost` false when the body is not a JSON-RPC error, i.e. something
 * else holds the port; `sessionGone` when the host does not know the session). `broken`: connected, then lost before the
 * answer was complete, so it may have run.
 */
export type PostOutcome =
  | { kind: 'unsent'; reason: string }
  | { kind: 'answered'; status: number; sessionId?: string }
  | { kind: 'refused'; status: number; fromHost: boolean; code: number; message: string; data?: unknown; sessionGone: boolean }
  | { kind: 'broken'; reason: string };

export interface PostCall {
  /** Resolves once the body left this process (true) or the attempt ended without a connection (false). */
  sent: Promise<boolean>;
  outcome: Promise<PostOutcome>;
}

/** How a GET stream ended: after it was open, never reached, or answered with an error status. */
export type StreamEnd = { kind: 'ended' } | { kind: 'unreachable'; reason: string } | Extract<PostOutcome, { kind: 'refused' }>;

export interface StreamHandlers {
  onOpen(): void;
  onMessage(value: unknown): void;
  onEnd(end: StreamEnd): void;
}

/**
 * The HTTP side of an MCP client, written for relaying: every message a response carries goes to a callback as it
 * arrives (parsed, unvalidated), and each POST says whether it can have reached the host. A fresh connection per
 * request, so a failure to connect always means "never delivered" (a reused keep-alive socket would blur that).
 */
export class StreamableHttpClient {
  private readonly agent = new http.Agent({ keepAlive: false });
  private readonly open = new Set<http.ClientRequest>();
  private disposed = false;

  /** onBadData: a message from the host that is not JSON, or nests too deep to pass on; why, and its text. */
  constructor(private readonly onBadData: (why: string, text: string) => void) {}

  /** POSTs one message or batch (already serialized); onMessage gets each message (or JSON batch) of the answer. */
  post(target: McpTarget, body: string, headers: McpHeaders, onMessage: (value: unknown) => void): PostCall {
    let markSent: (connected: boolean) => void = () => undefined;
    const sent = new Promise<boolean>((resolve) => (markSent = resolve));
    const outcome = new Promise<PostOutcome>((resolve) => {
      const req = this.request(target, 'POST', { ...this.headers(target, headers), 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'content-length': String(Buffer.byteLength(body)) });
      let connected = false;
      let done = false;
      const settle = (o: PostOutcome): void => {
        if (done) return;
        done = true;
        this.open.delete(req);
        markSent(o.kind !== 'unsent');
        resolve(o);
      };
      whenConnected(req, () => (connected = true));
      req.on('finish', () => markSent(true));
      req.on('error', (err) => settle(connected ? { kind: 'broken', reason: err.message } : { kind: 'unsent', reason: err.message }));
      req.on('response', (res) => {
        markSent(true);
        const status = res.statusCode ?? 0;
        const sessionId = headerOf(res, 'mcp-session-id');
        const broken = (): void => settle({ kind: 'broken', reason: 'the connection closed before the answer was complete' });
        res.on('error', broken);
        res.on('close', () => !res.complete && broken());
        if (status >= 400) {
          readText(res)
            .then((text) => text !== undefined && settle(refusal(status, text)))
            .catch((err: unknown) => settle({ kind: 'broken', reason: toSharedMcpError(err).message }));
          return;
        }
        const answered = (): void => settle({ kind: 'answered', status, ...(sessionId ? { sessionId } : {}) });
        const type = res.headers['content-type'] ?? '';
        if (type.startsWith('application/json')) {
          readText(res)
            .then((text) => {
              if (text === undefined) return;
              if (text !== '') this.deliver(text, onMessage);
              answered();
            })
            .catch((err: unknown) => settle({ kind: 'broken', reason: toSharedMcpError(err).message }));
          return;
        }
        if (type.startsWith('text/event-stream')) parseSse(res, (data) => this.deliver(data, onMessage));
        else res.resume();
        res.on('end', answered);
      });
      req.end(body);
    });
    return { sent, outcome };
  }

  /** Opens the session's GET stream; dispose() closes it without calling onEnd. */
  listen(target: McpTarget, headers: McpHeaders, handlers: StreamHandlers): { dispose(): void } {
    const req = this.request(target, 'GET', { ...this.headers(target, headers), accept: 'text/event-stream' });
    let connected = false;
    let done = false;
    const end = (e: StreamEnd): void => {
      if (done) return;
      done = true;
      this.open.delete(req);
      handlers.onEnd(e);
    };
    whenConnected(req, () => (connected = true));
    req.on('error', (err) => end(connected ? { kind: 'ended' } : { kind: 'unreachable', reason: err.message }));
    req.on('response', (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        readText(res)
          .then((text) => end(refusal(status, text ?? '')))
          .catch(() => end({ kind: 'ended' }));
        return;
      }
      handlers.onOpen();
      parseSse(res, (data) => !done && this.deliver(data, handlers.onMessage));
      res.on('error', () => end({ kind: 'ended' }));
      res.on('close', () => end({ kind: 'ended' }));
    });
    req.end();
    return {
      dispose: () => {
        done = true;
        this.open.delete(req);
        req.destroy();
      },
    };
  }

  /** Ends the session on the host (DELETE); never throws, gives up after timeoutMs. */
  end(target: McpTarget, headers: McpHeaders, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const req = this.request(target, 'DELETE', this.headers(target, headers));
      const timer = setTimeout(() => req.destroy(), timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        this.open.delete(req);
        resolve();
      };
      req.on('error', finish);
      req.on('response', (res) => {
        res.resume();
        res.on('end', finish);
        res.on('close', finish);
      });
      req.end();
    });
  }

  /** Cuts every open request (their outcomes settle as broken); idempotent. */
  dispose(): void {
    this.disposed = true;
    for (const req of [...this.open]) req.destroy();
    this.open.clear();
    this.agent.destroy();
  }

  private request(target: McpTarget, method: string, headers: Record<string, string>): http.ClientRequest {
    const req = http.request(target.url, { method, headers, agent: this.agent });
    if (this.disposed) req.destroy();
    else this.open.add(req);
    return req;
  }

  private headers(target: McpTarget, h: McpHeaders): Record<string, string> {
    return {
      authorization: `Bearer ${target.token}`,
      ...(h.sessionId ? { 'mcp-session-id': h.sessionId } : {}),
      ...(h.protocolVersion ? { 'mcp-protocol-version': h.protocolVersion } : {}),
    };
  }

  private deliver(text: string, onMessage: (value: unknown) => void): void {
    let value: unknown;
    try {
      value = parseBoundedJson(text);
    } catch (err) {
      this.onBadData((err as Error).message, text);
      return;
    }
    onMessage(value);
  }
}

function whenConnected(req: http.ClientRequest, then: () => void): void {
  req.on('socket', (socket) => {
    if (socket.connecting) socket.once('connect', then);
    else if (!socket.destroyed) then();
  });
}

function headerOf(res: http.IncomingMessage, name: string): string | undefined {
  const v = res.headers[name];
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** The whole body as text; undefined when the connection broke first (the caller's close handler reports that). */
function readText(res: http.IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (text += d));
    res.on('end', () => resolve(text));
    res.on('close', () => resolve(res.complete ? text : undefined));
  });
}

function refusal(status: number, text: string): Extract<PostOutcome, { kind: 'refused' }> {
  try {
    // Bounded: whatever answers on the host's port may send anything.
    const error = (parseBoundedJson(text) as { error?: { code?: unknown; message?: unknown; data?: unknown } } | null)?.error;
    if (typeof error?.code === 'number' && typeof error.message === 'string') {
      const sessionGone = status === SESSION_GONE.httpStatus && error.code === SESSION_GONE.jsonRpcCode;
      // data carries what a client acts on (the supported versions of an unsupported-version refusal): passed on whole.
      return { kind: 'refused', status, fromHost: true, code: error.code, message: error.message, ...(error.data === undefined ? {} : { data: error.data }), sessionGone };
    }
  } catch {
    // not JSON: not our host
  }
  return { kind: 'refused', status, fromHost: false, code: 0, message: `HTTP ${status} from a server that is not the Shared MCP host`, sessionGone: false };
}
