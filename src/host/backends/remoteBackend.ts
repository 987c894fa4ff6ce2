import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { SharedMcpError } from '../../shared/errors';
import { Emitter } from '../../shared/emitter';
import type { ServerDefinition } from '../../shared/config/configTypes';
import type { ServerLog } from '../logs/serverLog';
import { Inbox, type Backend } from './backend';
import type { InitializeParams, InitializeResult, JsonRpcMessage, ServerInfo } from './jsonRpc';
import { RpcChannel } from './rpcChannel';

/** A remote server is pinged this often; a failed ping counts as the server going away. */
export const REMOTE_PING_MS = 30_000;

/**
 * The host's connection to a remote server over the SDK's client transports (Streamable HTTP first, legacy SSE as
 * the fallback, or only SSE for `type: "sse"`), used as a raw message pipe so the mux sees every message.
 * A failed ping or a closed transport fires onDidExit.
 */
export class RemoteBackend implements Backend {
  readonly pid = null;
  private readonly onDidExitEmitter = new Emitter<string>();
  /** Fires once, with the reason, when the connection is lost. */
  readonly onDidExit = this.onDidExitEmitter.event;
  serverInfo: ServerInfo | null = null;
  initializeResult: InitializeResult | null = null;
  private readonly inbox = new Inbox();
  private readonly channel: RpcChannel;
  private pinger: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(
    private readonly transport: Transport,
    private readonly log: ServerLog,
  ) {
    this.channel = new RpcChannel((msg) => this.transport.send(msg as JSONRPCMessage));
    transport.onmessage = (m) => this.receive(m as JsonRpcMessage);
    transport.onclose = () => this.lost('the connection closed');
    transport.onerror = (err) => this.log.line('host', `connection error: ${err.message}`);
  }

  /** Connects and initializes; throws UNAUTHORIZED on HTTP 401, SERVER_EXITED for anything else. */
  static async connect(def: ServerDefinition, headers: Record<string, string>, init: InitializeParams, timeoutMs: number, log: ServerLog, signal: AbortSignal): Promise<RemoteBackend> {
    const url = new URL(def.url as string);
    const requestInit = { headers };
    const sse = (): Promise<RemoteBackend> => RemoteBackend.open(new SSEClientTransport(url, { requestInit }), init, timeoutMs, log, signal);
    try {
      if (def.transport === 'sse') return await sse();
      try {
        return await RemoteBackend.open(new StreamableHTTPClientTransport(url, { requestInit }), init, timeoutMs, log, signal);
      } catch (err) {
        const status = httpStatus(err);
        // Servers that only speak the old protocol answer a POST with one of these.
        if (status !== 404 && status !== 405 && status !== 400) throw err;
        log.line('host', `Streamable HTTP answered ${status}; trying legacy SSE`);
        return await sse();
      }
    } catch (err) {
      throw describe(err);
    }
  }

  private static async open(transport: Transport, init: InitializeParams, timeoutMs: number, log: ServerLog, signal: AbortSignal): Promise<RemoteBackend> {
    const backend = new RemoteBackend(transport, log);
    const onAbort = (): void => void backend.close();
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await transport.start();
      const result = (await backend.channel.request('initialize', init, timeoutMs)) as unknown as InitializeResult;
      backend.initializeResult = result;
      backend.serverInfo = result.serverInfo ? { name: result.serverInfo.name, version: result.serverInfo.version } : null;
      transport.setProtocolVersion?.(result.protocolVersion);
      await transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      backend.startPinging();
      return backend;
    } catch (err) {
      await backend.close();
      throw err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  attach(onMessage: (msg: JsonRpcMessage) => void, onOversized?: Parameters<Inbox['attach']>[1]): void {
    this.inbox.attach(onMessage, onOversized);
  }

  send(msg: JsonRpcMessage): void {
    if (this.closed) return;
    this.transport.send(msg as JSONRPCMessage).catch((err: Error) => {
      this.log.line('host', `sending to the server failed: ${err.message}`);
      // A request that never left must not wait for ever: answer it for the server.
      if (msg.method !== undefined && msg.id !== undefined && msg.id !== null) {
        this.inbox.push({ jsonrpc: '2.0', id: msg.id, error: { code: -32603, message: `the remote server could not be reached: ${describe(err).message}` } });
      }
    });
  }

  request(method: string, params: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    return this.channel.request(method, params, timeoutMs);
  }

  /** Closes the connection; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.pinger) clearInterval(this.pinger);
    this.channel.close(new SharedMcpError('SERVER_EXITED', 'the connection closed'));
    await this.transport.close().catch(() => undefined);
    this.onDidExitEmitter.dispose();
  }

  private startPinging(): void {
    this.pinger = setInterval(() => {
      this.channel.request('ping', {}, REMOTE_PING_MS).catch((err: Error) => this.lost(`ping failed: ${err.message}`));
    }, REMOTE_PING_MS);
    this.pinger.unref();
  }

  private receive(msg: JsonRpcMessage): void {
    if (this.channel.handleResponse(msg)) return;
    if (msg.method === 'ping' && msg.id !== undefined && msg.id !== null) {
      this.send({ jsonrpc: '2.0', id: msg.id, result: {} });
      return;
    }
    this.inbox.push(msg);
  }

  private lost(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pinger) clearInterval(this.pinger);
    this.channel.close(new SharedMcpError('SERVER_EXITED', reason));
    this.onDidExitEmitter.fire(reason);
    void this.transport.close().catch(() => undefined);
  }
}

function httpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function describe(err: unknown): SharedMcpError {
  if (err instanceof SharedMcpError) return err;
  const status = httpStatus(err);
  const message = err instanceof Error ? err.message : String(err);
  if (status === 401 || (err instanceof Error && err.name === 'UnauthorizedError')) {
    return new SharedMcpError('UNAUTHORIZED', 'the server asks for authorization (HTTP 401)');
  }
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  return new SharedMcpError('SERVER_EXITED', cause ? `cannot connect: ${cause}` : message);
}
