import { DEFAULT_REQUEST_TIMEOUT_MS } from '../../shared/config/configTypes';
import { Emitter, type Disposable } from '../../shared/emitter';
import { SharedMcpError } from '../../shared/errors';
import type { Backend, OversizedMessage } from '../backends/backend';
import {
  RPC_INTERNAL_ERROR,
  RPC_INVALID_PARAMS,
  RPC_INVALID_REQUEST,
  RPC_METHOD_NOT_FOUND,
  answeredProtocolVersion,
  errorResponse,
  type InitializeResult,
  type JsonRpcId,
  type JsonRpcMessage,
} from '../backends/jsonRpc';
import type { ServerLog } from '../logs/serverLog';
import type { ClientSession } from './clientSession';
import { ListCache, type ToolSummary } from './listCache';
import { SessionLogLevels, isLogLevel } from './logLevels';
import { Forwarder } from './forwarder';
import type { BackendSource, McpEndpoint } from './mcpEndpoint';
import { MuxIo, describe } from './muxIo';
import { RequestTable } from './requestTable';
import { ServerRequestRouter } from './serverRequestRouter';
import { SessionStatsTable, type SessionStats } from './sessionStats';
import { SubscriptionTable } from './subscriptionTable';
import { REAL_TIMERS, type Timers } from './timers';
import { filterToolsResult, toolAllowed, type ToolFilterConfig } from './toolFilter';

/** The host's own requests (lists, setLevel, resubscribes) wait at most this long, or the server's requestTimeout if shorter. */
export const HOST_REQUEST_TIMEOUT_MS = 30_000;

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
  /** How long a request may go unanswered (each progress starts the clock again); read per request, so a reload applies at once. */
  requestTimeoutMs?(): number;
  /** Deadlines: real timers, unless a test brings a clock of its own. */
  timers?: Timers;
}

/**
 * One backend, many sessions: renumbers requests, routes answers, progress and cancellation back to their session,
 * gives every request a deadline, ref-counts subscriptions, keeps log levels per session, answers ping, broadcasts
 * list changes, and routes server→client requests (DESIGN.md "The multiplexer"). A message that cannot be handled
 * or sent fails for its own caller only; nothing thrown here reaches a transport or a backend's read loop.
 */
export class Multiplexer implements McpEndpoint {
  private readonly onDidEndSessionEmitter = new Emitter<ClientSession>();
  readonly onDidEndSession = this.onDidEndSessionEmitter.event;
  readonly sessions = new Set<ClientSession>();
  private readonly counters = new SessionStatsTable();
  private readonly requests: RequestTable;
  private readonly subscriptions = new SubscriptionTable();
  private readonly levels = new SessionLogLevels<ClientSession>();
  private readonly serverRequests: ServerRequestRouter;
  readonly lists = new ListCache(() => this.options.onDidChangeTools?.());
  private readonly io: MuxIo;
  private readonly forwarder: Forwarder;
  private started = false;
  private readonly subscription: Disposable;
  private disposed = false;

  constructor(
    private readonly source: BackendSource,
    private readonly options: MuxOptions,
  ) {
    this.requests = new RequestTable(this.counters, options.timers ?? REAL_TIMERS);
    this.io = new MuxIo(options.log, () => this.hostTimeoutMs());
    this.forwarder = new Forwarder(this.requests, this.io, source, {
      name: options.name,
      log: options.log,
      timeoutMs: () => this.requestTimeoutMs(),
      onUnanswered: (f) => f.method === 'resources/subscribe' && f.uri !== undefined && this.subscriptions.remove(f.uri, f.session),
    });
    this.serverRequests = new ServerRequestRouter(options.name, options.log, {
      toBackend: (m) => this.io.toBackend(m, `the answer to ${String(m.id)}`),
      toClient: (s, m, related) => this.io.toClient(s, m, related),
      inFlight: (s) => this.counters.inFlight(s),
      related: (s) => this.requests.newestOf(s),
    });
    this.subscription = source.onDidChange((b) => this.setBackend(b));
    if (source.current) this.setBackend(source.current);
  }

  async open(session: ClientSession): Promise<InitializeResult> {
    const backend = await this.source.ready(session.record.init);
    if (this.disposed) throw new SharedMcpError('SERVER_UNAVAILABLE', `server "${this.options.name}" was removed or reconfigured`);
    const r = backend.initializeResult as InitializeResult;
    const { tasks: _hidden, ...capabilities } = r.capabilities;
    const asked = session.record.init.protocolVersion;
    const result = this.options.passthroughInit ? { ...r, capabilities } : { ...r, capabilities, protocolVersion: answeredProtocolVersion(asked, r.protocolVersion) };
    this.sessions.add(session);
    this.counters.open(session);
    this.source.sessionsChanged(this.sessions.size);
    return result;
  }

  stats(session: ClientSession): SessionStats | undefined {
    return this.counters.get(session);
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
    try {
      this.handleClientMessage(session, msg);
    } catch (err) {
      this.io.unhandled(err, `a message from a client (${describe(msg)})`);
      if (msg.method !== undefined && msg.id !== undefined && msg.id !== null) this.io.toClient(session, errorResponse(msg.id, RPC_INTERNAL_ERROR, `the host could not handle ${describe(msg)}`));
    }
  }

  close(session: ClientSession): void {
    if (!this.sessions.delete(session)) return;
    for (const f of this.requests.ofSession(session)) {
      this.requests.take(f.bid);
      if (f.sent) this.io.cancel(f.bid, 'the client session ended');
    }
    for (const uri of this.subscriptions.removeSession(session)) this.io.hostRequest('resources/unsubscribe', { uri });
    if (this.levels.remove(session)) this.syncLogLevel();
    this.serverRequests.dropSession(session);
    this.counters.close(session);
    this.source.sessionsChanged(this.sessions.size);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.io.abort(new SharedMcpError('SERVER_UNAVAILABLE', `server "${this.options.name}" was removed or reconfigured`));
    this.subscription.dispose();
    this.forwarder.failAll(this.requests.all(), 'was removed or reconfigured');
    for (const s of [...this.sessions]) {
      this.close(s);
      this.onDidEndSessionEmitter.fire(s);
    }
    this.onDidEndSessionEmitter.dispose();
  }

  private handleClientMessage(session: ClientSession, msg: JsonRpcMessage): void {
    if (msg.method === undefined) return this.serverRequests.answer(session, msg);
    if (msg.id === undefined || msg.id === null) return this.onClientNotification(session, msg);
    const id = msg.id;
    const reply = (result: Record<string, unknown>): void => this.io.toClient(session, { jsonrpc: '2.0', id, result });
    const fail = (code: number, message: string): void => this.io.toClient(session, errorResponse(id, code, message));
    if (!this.sessions.has(session)) return fail(RPC_INVALID_REQUEST, `the session is not open on server "${this.options.name}"`);
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
        return this.forwarder.forward(session, msg);
      }
      default:
        if (msg.method.startsWith('tasks/')) return fail(RPC_METHOD_NOT_FOUND, `Method not found: ${msg.method}`);
        return this.forwarder.forward(session, msg);
    }
  }

  private onClientNotification(session: ClientSession, msg: JsonRpcMessage): void {
    switch (msg.method) {
      case 'notifications/initialized':
        return;
      case 'notifications/roots/list_changed':
        // Only a session's own backend may hear of its roots; a shared one gets roots from the config.
        if (this.options.passthroughInit) this.io.toBackend(msg, msg.method);
        return;
      case 'notifications/cancelled': {
        const clientId = msg.params?.requestId;
        const f = typeof clientId === 'string' || typeof clientId === 'number' ? this.requests.find(session, clientId) : undefined;
        if (!f) return;
        this.requests.take(f.bid);
        if (f.method === 'resources/subscribe' && f.uri !== undefined) this.subscriptions.remove(f.uri, f.session);
        if (f.sent) this.io.toBackend({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { ...msg.params, requestId: f.bid } }, 'a cancellation');
        session.cancelled?.(f.clientId);
        return;
      }
      default:
        this.io.toBackend(msg, String(msg.method));
    }
  }

  private onSubscription(session: ClientSession, msg: JsonRpcMessage, uri: string): void {
    const id = msg.id as JsonRpcId;
    if (msg.method === 'resources/subscribe') {
      if (this.subscriptions.has(uri, session) || !this.subscriptions.add(uri, session)) return this.io.toClient(session, { jsonrpc: '2.0', id, result: {} });
    } else if (!this.subscriptions.has(uri, session) || !this.subscriptions.remove(uri, session)) {
      return this.io.toClient(session, { jsonrpc: '2.0', id, result: {} });
    }
    this.forwarder.forward(session, msg, uri);
  }

  private onBackendMessage(msg: JsonRpcMessage): void {
    try {
      this.dispatchBackendMessage(msg);
    } catch (err) {
      this.io.unhandled(err, `a message from the server (${describe(msg)})`);
      if (msg.method !== undefined && msg.id !== undefined && msg.id !== null) this.io.toBackend(errorResponse(msg.id, RPC_INTERNAL_ERROR, 'the host could not handle this request'), 'an error answer');
    }
  }

  private dispatchBackendMessage(msg: JsonRpcMessage): void {
    if (msg.method === undefined) return this.onBackendResponse(msg);
    if (msg.id !== undefined && msg.id !== null) {
      if (msg.method === 'roots/list' && !this.options.passthroughInit) return void this.io.toBackend({ jsonrpc: '2.0', id: msg.id, result: { roots: this.options.roots().map((uri) => ({ uri })) } }, 'the roots');
      return this.serverRequests.route(msg, this.sessions, this.options.passthroughInit);
    }
    switch (msg.method) {
      case 'notifications/progress': {
        const f = this.requests.get(msg.params?.progressToken);
        if (f?.progressToken === undefined) return;
        this.requests.refresh(f.bid);
        return this.io.toClient(f.session, { ...msg, params: { ...msg.params, progressToken: f.progressToken } }, f.clientId);
      }
      case 'notifications/message': {
        const level = String(msg.params?.level ?? 'info');
        for (const s of this.sessions) if (this.levels.wants(s, level)) this.io.toClient(s, msg);
        return;
      }
      case 'notifications/resources/updated':
        for (const s of this.subscriptions.subscribers(String(msg.params?.uri ?? ''))) this.io.toClient(s, msg);
        return;
      case 'notifications/cancelled':
        return this.serverRequests.cancelled(msg);
      case 'notifications/tools/list_changed':
        if (this.io.backend) this.refreshLists(this.io.backend, 'tools');
        break;
    }
    for (const s of this.sessions) this.io.toClient(s, msg);
  }

  private onBackendResponse(msg: JsonRpcMessage): void {
    const f = this.requests.get(msg.id);
    if (!f) return; // cancelled, timed out, or its session ended: a late answer nobody waits for
    this.requests.take(f.bid, true);
    if (msg.error && f.uri !== undefined && f.method === 'resources/subscribe') this.subscriptions.remove(f.uri, f.session);
    try {
      const result = f.method === 'tools/list' && msg.result ? filterToolsResult(this.options.tools(), msg.result) : msg.result;
      this.io.toClient(f.session, result === msg.result ? { ...msg, id: f.clientId } : { ...msg, id: f.clientId, result });
    } catch (err) {
      this.io.unhandled(err, `the answer to ${f.method}`);
      this.io.toClient(f.session, errorResponse(f.clientId, RPC_INTERNAL_ERROR, `the server's answer to ${f.method} could not be passed on`));
    }
  }

  private onOversized(m: OversizedMessage): void {
    const f = this.requests.get(m.id);
    if (!f) return;
    this.requests.take(f.bid);
    this.io.toClient(f.session, errorResponse(f.clientId, RPC_INTERNAL_ERROR, `the server's answer was ${m.bytes} bytes, over the host's cap (settings.maxMessageSize)`));
  }

  private setBackend(backend: Backend | undefined): void {
    if (backend === this.io.backend) return;
    const previous = this.io.backend;
    this.io.backend = backend;
    // What the previous process had is lost with it; requests still waiting for a first backend stay.
    if (previous) {
      this.forwarder.failAll(this.requests.all(true), 'stopped', '; it restarts by itself, try again');
      this.serverRequests.clear();
    }
    if (!backend) return;
    // A restart, not the first start: lists that changed meanwhile are announced (the first read announces nothing).
    const restarted = this.started;
    this.started = true;
    backend.attach(
      (m) => this.io.backend === backend && this.onBackendMessage(m),
      (m) => this.io.backend === backend && this.onOversized(m),
    );
    // The new process knows nothing of the old one's subscriptions and level.
    for (const uri of this.subscriptions.uris()) this.io.hostRequest('resources/subscribe', { uri });
    this.levels.backendReset();
    this.syncLogLevel();
    this.refreshLists(backend, undefined, restarted);
  }

  /** Re-reads the lists; after a restart, or for a list_changed, announces those that changed. */
  private refreshLists(backend: Backend, only?: 'tools', announce = false): void {
    this.lists
      .refresh(backend, { timeoutMs: this.hostTimeoutMs(), signal: this.io.signal }, only)
      .then((due) => {
        if (!announce || this.io.backend !== backend) return;
        for (const method of due) for (const s of this.sessions) this.io.toClient(s, { jsonrpc: '2.0', method });
      })
      .catch((err: unknown) => this.io.unhandled(err, 'reading the lists'));
  }

  private syncLogLevel(): void {
    const level = this.levels.due(this.io.backend?.initializeResult?.capabilities.logging !== undefined);
    if (level) this.io.hostRequest('logging/setLevel', { level });
  }

  private requestTimeoutMs(): number {
    const ms = this.options.requestTimeoutMs?.() ?? DEFAULT_REQUEST_TIMEOUT_MS;
    return Number.isFinite(ms) && ms > 0 ? ms : DEFAULT_REQUEST_TIMEOUT_MS;
  }

  private hostTimeoutMs(): number {
    return Math.min(HOST_REQUEST_TIMEOUT_MS, this.requestTimeoutMs());
  }
}
