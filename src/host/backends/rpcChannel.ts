import { SharedMcpError } from '../../shared/errors';
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

/**
 * The host's own requests to a backend (initialize, tools/list, setLevel, …): ids in a namespace clients never
 * use ("shared-mcp-N" strings; client requests are renumbered with plain numbers), a timeout each, failed at once
 * when the backend goes away.
 */
export class RpcChannel {
  private readonly pending = new Map<JsonRpcId, Pending>();
  private nextId = 0;
  private closedWith: Error | undefined;

  constructor(private readonly write: (msg: JsonRpcMessage) => void | Promise<void>) {}

  request(method: string, params: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    if (this.closedWith) return Promise.reject(this.closedWith);
    const id = `shared-mcp-${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new SharedMcpError('TIMEOUT', `no answer to ${method} within ${Math.round(timeoutMs / 1000)}s`));
      }, timeoutMs);
      timer.unref();
      const settle = (): void => {
        clearTimeout(timer);
        this.pending.delete(id);
      };
      this.pending.set(id, { resolve: (r) => (settle(), resolve(r)), reject: (e) => (settle(), reject(e)) });
      try {
        const sent = this.write({ jsonrpc: '2.0', id, method, params });
        if (sent) sent.catch((err: Error) => this.pending.get(id)?.reject(err));
      } catch (err) {
        this.pending.get(id)?.reject(err as Error);
      }
    });
  }

  /** Takes a response to one of the host's own requests; false when the message is not one. */
  handleResponse(msg: JsonRpcMessage): boolean {
    if (msg.method !== undefined || typeof msg.id !== 'string' || !msg.id.startsWith('shared-mcp-')) return false;
    const p = this.pending.get(msg.id);
    if (!p) return true; // timed out meanwhile: nobody waits for it
    if (msg.error) p.reject(new RpcError(msg.error));
    else p.resolve(msg.result ?? {});
    return true;
  }

  /** Fails every open request and every later one with err. */
  close(err: Error): void {
    this.closedWith ??= err;
    for (const p of [...this.pending.values()]) p.reject(err);
  }
}
