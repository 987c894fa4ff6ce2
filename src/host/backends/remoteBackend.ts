import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { FetchLike, Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { SharedMcpError } from '../../shared/errors';
import { detach } from '../../shared/detach';
import { Emitter } from '../../shared/emitter';
import type { ServerDefinition } from '../../shared/config/configTypes';
import type { ServerLog } from '../logs/serverLog';
import { challengeOf, isAuthStatus, needsAuthAnswer, needsAuthError, type AuthChallenge } from './authChallenge';
import { Inbox, type Backend } from './backend';
import type { CredentialSource } from './credentialSource';
import { handleSafely, isTooDeep, noteUnhandled, tooDeepAction } from './inboundMessage';
import { RPC_INTERNAL_ERROR, errorResponse, type InitializeParams, type InitializeResult, type JsonRpcId, type JsonRpcMessage, type ServerInfo } from './jsonRpc';
import { assertRoom, encodeForServer, type SendLimits } from './outboundMessage';
import { postFailure } from './postFailure';
import { modernOnlyError } from './protocolEra';
import { RpcChannel } from './rpcChannel';
import { UnsentBodies } from './unsentBodies';

/** A remote server is pinged this often; a failed ping counts as the server going away. */
export const REMOTE_PING_MS = 30_000;

export interface RemoteOptions {
  /** Asked before every request: a changed token is used at once, without reconnecting. */
  credentials: CredentialSource;
  init: InitializeParams;
  timeoutMs: number;
  log: ServerLog;
  signal: AbortSignal;
  limits(): SendLimits;
  /** After initialize, the server refused the credentials (401/403); what was in flight has been answered. */
  onNeedsAuth(reason: string): void;
  /** Known secret values out of what the server said that reaches a caller (an error body may echo the credentials). */
  redact?: (text: string) => string;
}

/**
 * The host's connection to a remote server over the SDK's client transports (Streamable HTTP first, legacy SSE as
 * the fallback, or only SSE for `type: "sse"`), used as a raw message pipe so the mux sees every message. Every
 * request goes through one fetch that adds the credential source's headers and sees each response's status.
 * A failed ping or a closed transport fires onDidExit; a 401/403 after initialize calls onNeedsAuth.
 */
export class RemoteBackend implements Backend {
  readonly pid = null;
  private readonly onDidExitEmitter = new Emitter<string>();
  /** Fires once, with the reason, when the connection is lost. */
  readonly onDidExit = this.onDidExitEmitter.event;
  serverInfo: ServerInfo | null = null;
  initializeResult: InitializeResult | null = null;
  // A consumer (the mux) that throws on one message is noted in this server's log, like any message's trouble.
  private readonly inbox = new Inbox((err) => noteUnhandled(this.options.log, err));
  private readonly channel: RpcChannel;
  private readonly transport: Transport;
  /** Requests sent and not answered yet: a refusal of the credentials answers them all. */
  private readonly pending = new Set<JsonRpcId>();
  private pinger: NodeJS.Timeout | undefined;
  private closed = false;
  private initialized = false;
  /** The refusal that put this connection out of use; requests sent after it are answered with it. */
  private refused: SharedMcpError | undefined;
  /** The last 401/403 seen, for the error of a connect that fails with it. */
  private lastChallenge: AuthChallenge | undefined;
  /** Messages whose HTTP body has not been sent yet: what counts against maxQueueSize. */
  private readonly unsent = new UnsentBodies();

  private constructor(
    private readonly name: string,
    private readonly options: RemoteOptions,
    makeTransport: (fetch: FetchLike) => Transport,
  ) {
    this.transport = makeTransport(this.fetchWithCredentials);
    this.channel = new RpcChannel((msg) => this.transport.send(msg as JSONRPCMessage));
    this.transport.onmessage = (m) => this.receiveSafely(m as JsonRpcMessage);
    this.transport.onclose = () => this.lost('the connection closed');
    this.transport.onerror = (err) => this.options.log.line('host', `connection error: ${err.message}`);
  }

  /** Connects and initializes; throws NEEDS_AUTH on HTTP 401/403, PROTOCOL_ERA_UNSUPPORTED, SERVER_EXITED for anything else. */
  static async connect(def: ServerDefinition, options: RemoteOptions): Promise<RemoteBackend> {
    const url = new URL(def.url as string);
    const open = (make: (fetch: FetchLike) => Transport): Promise<RemoteBackend> => new RemoteBackend(def.name, options, make).open();
    const sse = (): Promise<RemoteBackend> => open((fetch) => new SSEClientTransport(url, { fetch }));
    try {
      if (def.transport === 'sse') return await sse();
      try {
        return await open((fetch) => new StreamableHTTPClientTransport(url, { fetch }));
      } catch (err) {
        const status = httpStatus(err);
        // Servers that only speak the old protocol answer a POST with one of these; a modern-only one says so in its 400.
        if ((status !== 404 && status !== 405 && status !== 400) || modernOnlyError(err)) throw err;
        options.log.line('host', `Streamable HTTP answered ${status}; trying legacy SSE`);
        return await sse();
      }
    } catch (err) {
      throw describe(def.name, err, options.credentials.hint);
    }
  }

  private async open(): Promise<RemoteBackend> {
    const { signal, init, timeoutMs } = this.options;
    const onAbort = (): void => void this.close().catch(() => undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await this.transport.start();
      const result = (await this.channel.request('initialize', init, timeoutMs)) as unknown as InitializeResult;
      this.initializeResult = result;
      this.serverInfo = result.serverInfo ? { name: result.serverInfo.name, version: result.serverInfo.version } : null;
      this.transport.setProtocolVersion?.(result.protocolVersion);
      await this.transport.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
      this.initialized = true;
      this.startPinging();
      return this;
    } catch (err) {
      await this.close();
      const status = httpStatus(err);
      throw this.lastChallenge && status !== undefined && isAuthStatus(status) ? needsAuthError(this.name, this.lastChallenge, this.options.credentials.hint) : err;
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  attach(onMessage: (msg: JsonRpcMessage) => void, onOversized?: Parameters<Inbox['attach']>[1]): void {
    this.inbox.attach(onMessage, onOversized);
  }

  send(msg: JsonRpcMessage): void {
    if (this.closed) return;
    const isRequest = msg.method !== undefined && msg.id !== undefined && msg.id !== null;
    if (this.refused) {
      if (isRequest) this.inbox.push(needsAuthAnswer(msg.id as JsonRpcId, this.refused));
      return;
    }
    const limits = this.options.limits();
    const { text, bytes } = encodeForServer(this.name, msg, limits);
    assertRoom(this.name, this.unsent.bytes, bytes, limits);
    if (isRequest) this.pending.add(msg.id as JsonRpcId);
    if (msg.method === 'notifications/cancelled') this.pending.delete(msg.params?.requestId as JsonRpcId);
    detach(this.post(msg, isRequest, this.unsent.add(text, bytes)), (err) => noteUnhandled(this.options.log, err));
  }

  /** Sends one message; never rejects: a failure is answered to the request's caller, or logged. `sent` ends its count, at the latest here. */
  private async post(msg: JsonRpcMessage, isRequest: boolean, sent: () => void): Promise<void> {
    try {
      await this.transport.send(msg as JSONRPCMessage);
    } catch (err) {
      // Answered already when the credentials were refused.
      if (this.refused || this.closed) return;
      const failure = postFailure(err, httpStatus(err), this.options.redact ?? ((text) => text));
      this.options.log.line('host', `sending to the server failed: ${failure}`);
      // A request that never left must not wait for ever: answer it for the server.
      if (isRequest && this.pending.delete(msg.id as JsonRpcId)) this.receiveSafely(errorResponse(msg.id as JsonRpcId, RPC_INTERNAL_ERROR, failure));
    } finally {
      sent();
    }
  }

  request(method: string, params: Record<string, unknown>, timeoutMs: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.channel.request(method, params, timeoutMs, signal);
  }

  /** Closes the connection; idempotent. Like every end of a backend, it fires onDidExit (once). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.end('closed by the host');
    await this.transport.close().catch(() => undefined);
  }

  /** Every request of the transport: the source's headers now, a body whose end is seen, and a look at the status of what comes back. */
  private readonly fetchWithCredentials: FetchLike = async (url, init) => {
    const credentials = await this.options.credentials.headers();
    const observed = this.unsent.observe(init);
    const headers = new Headers(observed?.headers);
    for (const [key, value] of Object.entries(credentials)) headers.set(key, value);
    const response = await fetch(url, { ...observed, headers });
    if (isAuthStatus(response.status)) this.onRefused(challengeOf(response, this.options.redact));
    return response;
  };

  private onRefused(challenge: AuthChallenge): void {
    this.lastChallenge = challenge;
    if (!this.initialized || this.closed || this.refused) return;
    const err = needsAuthError(this.name, challenge, this.options.credentials.hint);
    this.refused = err;
    if (this.pinger) clearInterval(this.pinger);
    this.options.log.line('host', err.message);
    for (const id of this.pending) this.inbox.push(needsAuthAnswer(id, err));
    this.pending.clear();
    this.channel.close(err);
    this.options.onNeedsAuth(err.message);
  }

  private startPinging(): void {
    this.pinger = setInterval(() => {
      this.channel.request('ping', {}, REMOTE_PING_MS).catch((err: Error) => {
        if (!this.refused) this.lost(`ping failed: ${err.message}`);
      });
    }, REMOTE_PING_MS);
    this.pinger.unref();
  }

  /** Nothing thrown while handling a message may reach the transport. */
  private receiveSafely(msg: JsonRpcMessage): void {
    handleSafely(this.options.log, () => this.receive(msg));
  }

  private receive(msg: JsonRpcMessage): void {
    if (isTooDeep(msg)) {
      const action = tooDeepAction(msg.id, msg.method !== undefined);
      this.options.log.line('host', action.note);
      if (action.kind === 'refuse') this.send(action.reply);
      if (action.kind !== 'answer') return;
      msg = action.reply;
    }
    if (msg.method === undefined && msg.id !== undefined && msg.id !== null) this.pending.delete(msg.id);
    if (this.channel.handleResponse(msg)) return;
    if (msg.method === 'ping' && msg.id !== undefined && msg.id !== null) {
      this.send({ jsonrpc: '2.0', id: msg.id, result: {} });
      return;
    }
    this.inbox.push(msg);
  }

  private lost(reason: string): void {
    if (this.closed) return;
    this.end(reason);
    this.transport.close().catch(() => undefined);
  }

  /**
   * The one way this backend ends, whatever ends it: what waits on the host's own requests fails, and onDidExit
   * fires once. A close must fire it too: whoever holds the backend (a session's own source) lets go of it only then.
   */
  private end(reason: string): void {
    this.closed = true;
    if (this.pinger) clearInterval(this.pinger);
    this.channel.close(new SharedMcpError('SERVER_EXITED', reason));
    this.onDidExitEmitter.fire(reason);
    this.onDidExitEmitter.dispose();
  }
}

function httpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'number') return code;
  // The SSE transport reports a failed POST only in its message.
  const m = /\(HTTP (\d{3})\)/.exec(err instanceof Error ? err.message : '');
  return m ? Number(m[1]) : undefined;
}

function describe(server: string, err: unknown, hint: string): SharedMcpError {
  if (err instanceof SharedMcpError) return err;
  const modern = modernOnlyError(err);
  if (modern) return modern;
  const status = httpStatus(err);
  const message = err instanceof Error ? err.message : String(err);
  if (status !== undefined && isAuthStatus(status)) return needsAuthError(server, { status }, hint);
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  return new SharedMcpError('SERVER_EXITED', cause ? `cannot connect: ${cause}` : message);
}
