import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import { RPC_INTERNAL_ERROR, errorResponse, type JsonRpcId, type JsonRpcMessage } from '../backends/jsonRpc';
import type { ServerLog } from '../logs/serverLog';
import type { ClientSession } from './clientSession';
import type { BackendSource } from './mcpEndpoint';
import type { MuxIo } from './muxIo';
import type { Forwarded, RequestTable } from './requestTable';
import { timeoutText } from './timers';

export interface ForwarderOptions {
  name: string;
  log: ServerLog;
  /** The server's requestTimeout now (a reload applies to the next request). */
  timeoutMs(): number;
  /** A request ended without an answer (timeout): what the mux holds for it (a subscription) is let go. */
  onUnanswered(f: Forwarded): void;
}

/**
 * The way of a client request to the backend: counted from the moment it is taken, sent under a backend id (and
 * progress token) at once or once a starting server is up, given the server's deadline, and answered with an
 * error for its caller alone when it cannot go, the server cannot start, or no answer comes in time.
 */
export class Forwarder {
  constructor(
    private readonly requests: RequestTable,
    private readonly io: MuxIo,
    private readonly source: BackendSource,
    private readonly options: ForwarderOptions,
  ) {}

  forward(session: ClientSession, msg: JsonRpcMessage, uri?: string): void {
    const token = msg.params?._meta?.progressToken;
    const progressToken = typeof token === 'string' || typeof token === 'number' ? token : undefined;
    const f = this.requests.add(session, msg.id as JsonRpcId, msg.method as string, { ...(uri !== undefined ? { uri } : {}), ...(progressToken !== undefined ? { progressToken } : {}) });
    if (this.io.backend) return this.send(f, msg);
    this.sendWhenReady(f, msg).catch((err: unknown) => this.io.unhandled(err, `${f.method} waiting for the server`));
  }

  /** Everything in the list fails now, with the same error for every caller. */
  failAll(requests: Forwarded[], what: string, hint = ''): void {
    for (const f of requests) {
      this.requests.take(f.bid);
      this.io.toClient(f.session, errorResponse(f.clientId, RPC_INTERNAL_ERROR, `server "${this.options.name}" ${what} while handling ${f.method}${hint}`));
    }
  }

  private async sendWhenReady(f: Forwarded, msg: JsonRpcMessage): Promise<void> {
    let error: SharedMcpError | undefined;
    await this.source.ready().catch((err: unknown) => (error = toSharedMcpError(err)));
    // Cancelled, or its session ended, while the server started: nobody waits for it.
    if (this.requests.get(f.bid) !== f) return;
    if (!error && !this.io.backend) error = new SharedMcpError('SERVER_UNAVAILABLE', `server "${this.options.name}" stopped before ${f.method} could be sent; try again`);
    if (!error) return this.send(f, msg);
    this.requests.take(f.bid);
    this.io.toClient(f.session, errorResponse(f.clientId, error.jsonRpcCode, error.message, error.details));
  }

  /** Sends the request under its backend id (and progress token); a send that throws fails this request alone. */
  private send(f: Forwarded, msg: JsonRpcMessage): void {
    let params = msg.params;
    if (f.progressToken !== undefined) params = { ...params, _meta: { ...params?._meta, progressToken: f.bid } };
    try {
      this.io.backend?.send(params === undefined ? { jsonrpc: '2.0', id: f.bid, method: f.method } : { jsonrpc: '2.0', id: f.bid, method: f.method, params });
    } catch (err) {
      this.requests.take(f.bid);
      const e = toSharedMcpError(err);
      this.options.log.line('host', `${f.method} was not sent: ${e.message}`);
      return this.io.toClient(f.session, errorResponse(f.clientId, e.jsonRpcCode, `server "${this.options.name}" was not sent ${f.method}: ${e.message}`));
    }
    this.requests.markSent(f.bid, this.options.timeoutMs(), (x) => this.expire(x));
  }

  /** No answer within the deadline: the caller gets an error that says so, the server a cancellation. */
  private expire(f: Forwarded): void {
    this.requests.take(f.bid);
    const ms = f.timeoutMs ?? this.options.timeoutMs();
    const name = this.options.name;
    this.io.cancel(f.bid, `no answer within ${timeoutText(ms)} (requestTimeout)`);
    this.options.onUnanswered(f);
    this.options.log.line('host', `${f.method} got no answer within ${timeoutText(ms)} (requestTimeout): failed for its caller and cancelled`);
    const e = new SharedMcpError('TIMEOUT', `server "${name}" did not answer ${f.method} within ${timeoutText(ms)} (requestTimeout); the request was cancelled`);
    this.io.toClient(f.session, errorResponse(f.clientId, e.jsonRpcCode, e.message, { server: name, method: f.method, timeoutMs: ms }));
  }
}
