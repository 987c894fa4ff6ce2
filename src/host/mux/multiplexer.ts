import { Emitter, type Disposable } from '../../shared/emitter';
import { toSharedMcpError } from '../../shared/errors';
import type { Backend, OversizedMessage } from '../backends/backend';
import {
  RPC_INTERNAL_ERROR,
  RPC_INVALID_PARAMS,
  RPC_INVALID_REQUEST,
  RPC_METHOD_NOT_FOUND,
  SUPPORTED_PROTOCOL_VERSIONS,
  errorResponse,
  type InitializeResult,
  type JsonRpcId,
  type JsonRpcMessage,
} from '../backends/jsonRpc';
import type { ServerLog } from '../logs/serverLog';
import type { ClientSession } from './clientSession';
import { ListCache, type ToolSummary } from './listCache';
import { isLogLevel, levelRank, mostVerbose } from './logLevels';
import type { BackendSource, McpEndpoint } from './mcpEndpoint';
import { ServerRequestRouter } from './serverRequestRouter';
import { SubscriptionTable } from './subscriptionTable';
import { filterToolsResult, toolAllowed, type ToolFilterConfig } from './toolFilter';

const HOST_REQUEST_TIMEOUT_MS = 30_000;

interface InFlight {
  session: ClientSession;
  clientId: JsonRpcId;
  method: string;
  /** resources/subscribe or unsubscribe: the URI whose count this answer settles. */
  uri?: string;
}

export interface MuxOptions {
  name: string;
  tools(): ToolFilterConfig;
  /** File URIs answered to the server's roots/list. */
  roots(): string[];
  log: ServerLog;
  /** per-session: the backend was initialized with the client's own params, so its answer goes back unchanged. */
  passthroughInit: boolean;
  /** The server's tools changed (or were read for the first time). */
  onDidChangeTools?(): void;
}

/**
 * One backend, many sessions: renumbers requests, routes answers, progress and cancellation back to their session,
 * ref-counts subscriptions, keeps log levels per session, answers ping, broadcasts list changes, and routes
 * server→client requests (DESIGN.md "The multiplexer").
 */
export class Multiplexer implements McpEndpoint {
  private readonly onDidEndSessionEmitter = new Emitter<ClientSession>();
  readonly onDidEndSession = this.onDidEndSessionEmitter.event;
  readonly sessions = new Set<ClientSession>();
  private readonly inFlight = new Map<number, InFlight>();
  /** Per session: client request id → backend id, for cancellation. */
  private readonly bySession = new Map<ClientSession, Map<JsonRpcId, number>>();
  private readonly progress = new Map<number, { session: ClientSession; token: string | number; clientId: JsonRpcId }>();
  private readonly subscriptions = new SubscriptionTable();
  private readonly levels = new Map<ClientSession, string>();
  private backendLevel: string | undefined;
  private readonly serverRequests: ServerRequestRouter;
  readonly lists = new ListCache(() => this.options.onDidChangeTools?.());
  private backend: Backend | undefined;
  private nextId = 1;
  private started = false;
  private readonly subscription: Disposable;
  private disposed = false;

  constructor(
    private readonly source: BackendSource,
    private readonly options: MuxOptions,
  ) {
    this.serverRequests = new ServerRequestRouter(options.name, options.log, (m) => this.backend?.send(m));
    this.subscription = source.onDidChange((b) => this.setBackend(b));
    if (source.current) this.setBackend(source.current);
  }

  async open(session: ClientSession): Promise<InitializeResult> {
    const backend = await this.source.ready(session.record.init);
    const r = backend.initializeResult as InitializeResult;
    const { tasks: _hidden, ...capabilities } = r.capabilities;
    const asked = session.record.init.protocolVersion;
    const result = this.options.passthroughInit ? { ...r, capabilities } : { ...r, capabilities, protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(asked) ? asked : r.protocolVersion };
    this.sessions.add(session);
    this.bySession.set(session, new Map());
    this.source.sessionsChanged(this.sessions.size);
    return result;
  }

  toolCount(): number | null {
    return this.tools()?.length ?? null;
  }

  tools(): ToolSummary[] | null {
    const tools = this.lists.tools;
    if (!tools) return null;
    const filter = this.options.tools();
    return tools.filter((t) => toolAllowed(filter, t.name));
  }

  handle(session: ClientSession, msg: JsonRpcMessage): void {
    session.stats.lastActivity = Date.now();
    if (msg.method === undefined) return this.serverRequests.answer(session, msg);
    if (msg.id === undefined || msg.id === null) return this.onClientNotification(session, msg);
    const id = msg.id;
    const reply = (result: Record<string, unknown>): void => session.deliver({ jsonrpc: '2.0', id, result });
    const fail = (code: number, message: string): void => session.deliver(errorResponse(id, code, message));
    switch (msg.method) {
      case 'ping':
        return reply({});
      case 'initialize':
        return fail(RPC_INVALID_REQUEST, 'this session is already initialized');
      case 'logging/setLevel': {
        const level = msg.params?.level;
        if (!isLogLevel(level)) return fail(RPC_INVALID_PARAMS, `invalid log level: ${String(level)}`);
        this.levels.set(session, level);
        this.syncLogLevel();
        return reply({});
      }
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        return this.onSubscription(session, msg, String(msg.params?.uri ?? ''));
      case 'tools/call': {
        const name = msg.params?.name;
        if (typeof name === 'string' && !toolAllowed(this.options.tools(), name)) return fail(RPC_INVALID_PARAMS, `Tool ${name} not found`);
        return this.forward(session, msg);
      }
      default:
        if (msg.method.startsWith('tasks/')) return fail(RPC_METHOD_NOT_FOUND, `Method not found: ${msg.method}`);
        return this.forward(session, msg);
    }
  }

  close(session: ClientSession): void {
    if (!this.sessions.delete(session)) return;
    const requests = this.bySession.get(session);
    this.bySession.delete(session);
    for (const bid of requests?.values() ?? []) {
      this.dropInFlight(bid);
      this.backend?.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: bid, reason: 'the client session ended' } });
    }
    for (const uri of this.subscriptions.removeSession(session)) this.hostRequest('resources/unsubscribe', { uri });
    if (this.levels.delete(session)) this.syncLogLevel();
    this.serverRequests.dropSession(session);
    this.source.sessionsChanged(this.sessions.size);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.subscription.dispose();
    this.failInFlight('was removed or reconfigured');
    for (const s of [...this.sessions]) {
      this.close(s);
      this.onDidEndSessionEmitter.fire(s);
    }
    this.onDidEndSessionEmitter.dispose();
  }

  /** Sends a client request to the backend under a fresh id; starts a lazy server first when needed. */
  private forward(session: ClientSession, msg: JsonRpcMessage, uri?: string): void {
    const backend = this.backend;
    if (!backend) {
      this.source.ready().then(
        () => (this.sessions.has(session) ? this.forward(session, msg, uri) : undefined),
        (err: unknown) => session.deliver(errorResponse(msg.id as JsonRpcId, RPC_INTERNAL_ERROR, toSharedMcpError(err).message)),
      );
      return;
    }
    const bid = this.nextId++;
    const entry: InFlight = { session, clientId: msg.id as JsonRpcId, method: msg.method as string, ...(uri !== undefined ? { uri } : {}) };
    let params = msg.params;
    const token = params?._meta?.progressToken;
    if (typeof token === 'string' || typeof token === 'number') {
      params = { ...params, _meta: { ...params?._meta, progressToken: bid } };
      this.progress.set(bid, { session, token, clientId: entry.clientId });
    }
    this.inFlight.set(bid, entry);
    this.bySession.get(session)?.set(entry.clientId, bid);
    session.stats.inFlight++;
    backend.send(params === undefined ? { jsonrpc: '2.0', id: bid, method: msg.method } : { jsonrpc: '2.0', id: bid, method: msg.method, params });
  }

  private onClientNotification(session: ClientSession, msg: JsonRpcMessage): void {
    switch (msg.method) {
      case 'notifications/initialized':
        return;
      case 'notifications/roots/list_changed':
        // Only a session's own backend may hear of its roots; a shared one gets roots from the config.
        if (this.options.passthroughInit) this.backend?.send(msg);
        return;
      case 'notifications/cancelled': {
        const clientId = msg.params?.requestId as JsonRpcId | undefined;
        const bid = clientId === undefined ? undefined : this.bySession.get(session)?.get(clientId);
        if (bid === undefined) return;
        this.dropInFlight(bid);
        this.backend?.send({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { ...msg.params, requestId: bid } });
        session.cancelled?.(clientId as JsonRpcId);
        return;
      }
      default:
        this.backend?.send(msg);
    }
  }

  private onSubscription(session: ClientSession, msg: JsonRpcMessage, uri: string): void {
    const id = msg.id as JsonRpcId;
    if (msg.method === 'resources/subscribe') {
      if (this.subscriptions.has(uri, session) || !this.subscriptions.add(uri, session)) return session.deliver({ jsonrpc: '2.0', id, result: {} });
    } else if (!this.subscriptions.has(uri, session) || !this.subscriptions.remove(uri, session)) {
      return session.deliver({ jsonrpc: '2.0', id, result: {} });
    }
    this.forward(session, msg, uri);
  }

  private onBackendMessage(msg: JsonRpcMessage): void {
    if (msg.method === undefined) return this.onBackendResponse(msg);
    if (msg.id !== undefined && msg.id !== null) {
      if (msg.method === 'roots/list' && !this.options.passthroughInit) return this.backend?.send({ jsonrpc: '2.0', id: msg.id, result: { roots: this.options.roots().map((uri) => ({ uri })) } });
      return this.serverRequests.route(msg, this.sessions, (s) => this.bySession.get(s), this.options.passthroughInit);
    }
    switch (msg.method) {
      case 'notifications/progress': {
        const p = this.progress.get(msg.params?.progressToken as number);
        if (p) p.session.deliver({ ...msg, params: { ...msg.params, progressToken: p.token } }, p.clientId);
        return;
      }
      case 'notifications/message': {
        const level = String(msg.params?.level ?? 'info');
        for (const s of this.sessions) if (levelRank(level) >= levelRank(this.threshold(s))) s.deliver(msg);
        return;
      }
      case 'notifications/resources/updated':
        for (const s of this.subscriptions.subscribers(String(msg.params?.uri ?? ''))) s.deliver(msg);
        return;
      case 'notifications/cancelled':
        return this.serverRequests.cancelled(msg);
      case 'notifications/tools/list_changed':
        if (this.backend) void this.lists.refresh(this.backend, 'tools');
        break;
    }
    for (const s of this.sessions) s.deliver(msg);
  }

  private onBackendResponse(msg: JsonRpcMessage): void {
    const bid = msg.id as number;
    const entry = this.inFlight.get(bid);
    if (!entry) return; // cancelled, or its session ended: a late answer nobody waits for
    this.dropInFlight(bid);
    entry.session.stats.callsServed++;
    if (msg.error && entry.uri !== undefined && entry.method === 'resources/subscribe') this.subscriptions.remove(entry.uri, entry.session);
    msg.id = entry.clientId;
    if (entry.method === 'tools/list' && msg.result) msg.result = filterToolsResult(this.options.tools(), msg.result);
    entry.session.deliver(msg);
  }

  private onOversized(m: OversizedMessage): void {
    if (typeof m.id !== 'number') return;
    const entry = this.inFlight.get(m.id);
    if (!entry) return;
    this.dropInFlight(m.id);
    entry.session.deliver(errorResponse(entry.clientId, RPC_INTERNAL_ERROR, `the server's answer was ${m.bytes} bytes, over the host's cap (settings.maxMessageSize)`));
  }

  private dropInFlight(bid: number): void {
    const entry = this.inFlight.get(bid);
    if (!entry) return;
    this.inFlight.delete(bid);
    this.progress.delete(bid);
    this.bySession.get(entry.session)?.delete(entry.clientId);
    entry.session.stats.inFlight--;
  }

  private setBackend(backend: Backend | undefined): void {
    if (backend === this.backend) return;
    this.backend = backend;
    if (!backend) {
      this.failInFlight('stopped', '; it restarts by itself, try again');
      this.serverRequests.clear();
      return;
    }
    // A restart, not the first start: lists that changed meanwhile are announced (the first read announces nothing).
    const restarted = this.started;
    this.started = true;
    backend.attach(
      (m) => this.backend === backend && this.onBackendMessage(m),
      (m) => this.backend === backend && this.onOversized(m),
    );
    // The new process knows nothing of the old one's subscriptions and level.
    for (const uri of this.subscriptions.uris()) this.hostRequest('resources/subscribe', { uri });
    this.backendLevel = undefined;
    this.syncLogLevel();
    void this.lists.refresh(backend).then((due) => {
      if (!restarted || this.backend !== backend) return;
      for (const method of due) for (const s of this.sessions) s.deliver({ jsonrpc: '2.0', method });
    });
  }

  /** The backend is gone or the server left: everything in flight fails now, with the same error for every caller. */
  private failInFlight(what: string, hint = ''): void {
    for (const [bid, entry] of [...this.inFlight.entries()]) {
      this.dropInFlight(bid);
      entry.session.deliver(errorResponse(entry.clientId, RPC_INTERNAL_ERROR, `server "${this.options.name}" ${what} while handling ${entry.method}${hint}`));
    }
  }

  /** A session that never set a level sees what it would see alone, unless another session turned the backend up. */
  private threshold(session: ClientSession): string {
    const own = this.levels.get(session);
    if (own) return own;
    return this.backendLevel !== undefined && levelRank(this.backendLevel) < levelRank('info') ? 'info' : 'debug';
  }

  private syncLogLevel(): void {
    const want = mostVerbose(this.levels.values());
    if (want === undefined || want === this.backendLevel || !this.backend?.initializeResult?.capabilities.logging) return;
    this.backendLevel = want;
    this.hostRequest('logging/setLevel', { level: want });
  }

  private hostRequest(method: string, params: Record<string, unknown>): void {
    this.backend?.request(method, params, HOST_REQUEST_TIMEOUT_MS).catch((err: unknown) => this.options.log.line('host', `${method} failed: ${toSharedMcpError(err).message}`));
  }
}
