import { toSharedMcpError } from '../../shared/errors';
import type { Backend } from '../backends/backend';
import { RPC_INTERNAL_ERROR, errorResponse, type JsonRpcId, type JsonRpcMessage } from '../backends/jsonRpc';
import type { ServerLog } from '../logs/serverLog';
import type { ClientSession } from './clientSession';

/**
 * A mux's ways out: to its backend (sends, cancellations, requests of the host's own) and to clients. Nothing
 * thrown on the way reaches the caller: a message that cannot go is logged (and a lost answer to a client becomes
 * an error), so one message's trouble stays with that message.
 */
export class MuxIo {
  /** The backend messages go to; undefined while there is none. */
  backend: Backend | undefined;
  /** Aborts the host's own requests when the mux goes away. */
  private readonly lifetime = new AbortController();

  constructor(
    private readonly log: ServerLog,
    private readonly hostTimeoutMs: () => number,
  ) {}

  /** Sends to the backend when there is one; true when it went. */
  toBackend(msg: JsonRpcMessage, what: string): boolean {
    if (!this.backend) return false;
    try {
      this.backend.send(msg);
      return true;
    } catch (err) {
      this.log.line('host', `${what} could not be sent to the server: ${toSharedMcpError(err).message}`);
      return false;
    }
  }

  /** Tells the server nobody waits for its answer to bid any more. */
  cancel(bid: number, reason: string): void {
    this.toBackend({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: bid, reason } }, 'a cancellation');
  }

  /** A request of the host's own (setLevel, resubscribe): bounded by the host deadline; a failure is logged. */
  hostRequest(method: string, params: Record<string, unknown>): void {
    const backend = this.backend;
    if (!backend) return;
    const failed = (err: unknown): void => this.log.line('host', `${method} failed: ${toSharedMcpError(err).message}`);
    try {
      backend.request(method, params, this.hostTimeoutMs(), this.lifetime.signal).catch(failed);
    } catch (err) {
      failed(err);
    }
  }

  get signal(): AbortSignal {
    return this.lifetime.signal;
  }

  /** The mux is gone: the host's own requests still open are cancelled at the server. */
  abort(reason: Error): void {
    this.lifetime.abort(reason);
  }

  /** Gives a message to a client; a transport that throws loses that one message, and a response becomes an error. */
  toClient(session: ClientSession, msg: JsonRpcMessage, relatedId?: JsonRpcId): void {
    try {
      session.deliver(msg, relatedId);
    } catch (err) {
      this.unhandled(err, `delivering ${describe(msg)} to a client`);
      if (msg.method !== undefined || msg.id === undefined || msg.id === null || msg.error) return;
      try {
        session.deliver(errorResponse(msg.id, RPC_INTERNAL_ERROR, `the server's answer could not be passed on: ${toSharedMcpError(err).message}`), relatedId);
      } catch {
        // the transport cannot take even that: the client is gone
      }
    }
  }

  unhandled(err: unknown, what: string): void {
    this.log.line('host', `${what} could not be handled: ${toSharedMcpError(err).message}`);
  }
}

/** A message named for a log line: its method, or the id it answers; never its content. */
export function describe(msg: JsonRpcMessage): string {
  return String(msg.method ?? `the answer to ${String(msg.id)}`).slice(0, 100);
}
