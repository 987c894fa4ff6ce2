import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import { formatTimeout } from '../../shared/units';
import { IdAllocator } from './idAllocator';
import type { JsonRpcError, JsonRpcId, JsonRpcMessage } from './jsonRpc';

interface Pending {
  resolve(result: Record<string, unknown>): void;
  reject(err: Error): void;
}

/** A backend's answer with a JSON-RPC error, kept whole so callers can pass it on unchanged. */
export class RpcError extends SharedMcpError {
  constructor(readonly rpc: JsonRpcError) {
    super('SERVER_ERROR', `server answered with error ${rpc.code}: ${rpc.message}`);
  }
}

/** The longest delay a Node timer takes (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The host's own requests to a backend (initialize, tools/list, setLevel, …): ids in the host namespace
 * ("shared-mcp-N"; client requests are renumbered with plain numbers), a deadline each, failed at once when the
 * backend goes away. A request the host stops waiting for (its deadline passed, or its caller's signal aborted) is
 * cancelled at the server under the id the server saw, so the server can stop working on it.
 */
export class RpcChannel {
  private readonly pending = new Map<JsonRpcId, Pending>();
  private readonly ids = new IdAllocator('host');
  private closedWith: Error | undefined;

  constructor(private readonly write: (msg: JsonRpcMessage) => void | Promise<void>) {}

  request(method: string, params: Record<string, unknown>, timeoutMs: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    if (signal?.aborted) return Promise.reject(abortError(method, signal));
    const id = this.ids.next();
    return new Promise((resolve, reject) => {
      const giveUp = (err: Error, reason: string): void => {
        if (!this.pending.has(id)) return;
        settle();
        this.cancel(id, method, reason);
        reject(err);
      };
      const timer = setTimeout(() => {
        const within = `within ${formatTimeout(timeoutMs)}`;
        giveUp(new SharedMcpError('TIMEOUT', `no answer to ${method} ${within}`), `no answer ${within}`);
      }, Math.min(Math.max(timeoutMs, 0), MAX_TIMER_MS));
      timer.unref();
      const onAbort = (): void => giveUp(abortError(method, signal as AbortSignal), 'the host no longer needs the answer');
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (): void => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.pending.delete(id);
      };
      this.pending.set(id, { resolve: (r) => (settle(), resolve(r)), reject: (e) => (settle(), reject(e)) });
      this.send({ jsonrpc: '2.0', id, method, params }, (err) => this.pending.get(id)?.reject(err));
    });
  }

  /** Takes a response to one of the host's own requests; false when the message is not one. */
  handleResponse(msg: JsonRpcMessage): boolean {
    if (msg.method !== undefined || !this.ids.owns(msg.id)) return false;
    const p = this.pending.get(msg.id);
    if (!p) return true; // given up on meanwhile: nobody waits for it
    if (msg.error) p.reject(new RpcError(msg.error));
    else p.resolve(msg.result ?? {});
    return true;
  }

  /** Fails every open request and every later one with err. */
  close(err: Error): void {
    this.closedWith ??= err;
    for (const p of [...this.pending.values()]) p.reject(err);
  }

  /** Nobody waits for the answer any more: the server may stop working on it. A cancellation that cannot go is dropped. */
  private cancel(id: JsonRpcId, method: string, reason: string): void {
    // MCP: initialize is never cancelled (a server that did not answer it is closed instead).
    if (this.closedWith || method === 'initialize') return;
    this.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } }, () => undefined);
  }

  /**
   * Writes, reporting a throw or a rejected write to onError (a send that fails affects only its message). The
   * error is passed on as it is: a remote backend reads the HTTP status of its transport's error (401: needs-auth).
   */
  private send(msg: JsonRpcMessage, onError: (err: Error) => void): void {
    const report = (err: unknown): void => onError(err instanceof Error ? err : toSharedMcpError(err));
    try {
      const sent = this.write(msg);
      if (sent) sent.catch(report);
    } catch (err) {
      report(err);
    }
  }
}

function abortError(method: string, signal: AbortSignal): SharedMcpError {
  const reason: unknown = signal.reason;
  return reason instanceof SharedMcpError ? reason : new SharedMcpError('SERVER_UNAVAILABLE', `${method} was given up on: ${reason instanceof Error ? reason.message : String(reason ?? 'aborted')}`);
}
