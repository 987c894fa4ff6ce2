import type { ToolSummary } from './listCache';
import { Emitter } from '../../shared/emitter';
import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import { VERSION } from '../../shared/version';
import { IdAllocator } from '../backends/idAllocator';
import {
  LATEST_PROTOCOL_VERSION,
  RPC_INTERNAL_ERROR,
  RPC_INVALID_PARAMS,
  RPC_METHOD_NOT_FOUND,
  SUPPORTED_PROTOCOL_VERSIONS,
  errorResponse,
  type InitializeResult,
  type JsonRpcId,
  type JsonRpcMessage,
} from '../backends/jsonRpc';
import { ChildSession, withTimeout } from './aggregateChild';
import { AggregateLists, LISTS, type Asked, type ListSource } from './aggregateLists';
import type { ClientSession } from './clientSession';
import type { McpEndpoint } from './mcpEndpoint';
import { SessionStatsTable, type SessionStats } from './sessionStats';
import { REAL_TIMERS, timeoutText, type Timers } from './timers';

/** MCP's code for an unknown resource URI. */
const RESOURCE_NOT_FOUND = -32002;
/** States whose servers the aggregate lists: running ones, and lazy or idle-stopped ones (they start on demand). */
const LISTED = new Set(['running', 'idle']);
/** A list page waits this long for a server to start; a slower one is left out and announced with list_changed once it runs. */
const OPEN_WAIT_MS = 5000;
/** Several servers' list changes within this window reach the client as one notification. */
const LIST_CHANGED_COALESCE_MS = 100;

export interface AggregateServer {
  name: string;
  state: string;
  endpoint: McpEndpoint;
}

export interface AggregateOptions {
  /** A line for host.log (a server's part of a list skipped, a message that could not be handled). */
  log?(message: string): void;
  timers?: Timers;
}

/** One client request to /mcp: the children's requests made for it end with it. */
interface RequestContext {
  readonly clientId: JsonRpcId;
  cancelled: boolean;
}

interface Pending {
  child: ChildSession;
  ctx?: RequestContext;
  /** Called with undefined when nobody waits for the answer any more (cancelled, skipped, the session ended). */
  resolve(msg: JsonRpcMessage | undefined): void;
}

interface State {
  session: ClientSession;
  /** Per server: the child session, and the endpoint it was opened on (a reloaded server has a new one). */
  children: Map<string, { endpoint: McpEndpoint; child: Promise<ChildSession> }>;
  /** The children's requests, by aggregate id. */
  pending: Map<string, Pending>;
  /** The client's requests being served, by client id. */
  requests: Map<JsonRpcId, RequestContext>;
  level?: string;
  listChanged: Map<string, NodeJS.Timeout>;
}

/**
 * `/mcp`: every server behind one session. Tools and prompts are named `<server>__<name>`, resources keep their
 * URIs; list pages walk the servers in turn (AggregateLists); calls go to the server that listed the name. Each
 * request to a server goes through that server's mux as a child session, so the server's own deadline applies; a
 * client's cancel, or its session's end, cancels the children's requests made for it.
 */
export class AggregateEndpoint implements McpEndpoint {
  private readonly onDidEndSessionEmitter = new Emitter<ClientSession>();
  readonly onDidEndSession = this.onDidEndSessionEmitter.event;
  private readonly states = new Map<ClientSession, State>();
  private readonly counters = new SessionStatsTable();
  private readonly lists = new AggregateLists();
  private readonly ids = new IdAllocator('aggregate');
  private readonly timers: Timers;

  constructor(
    private readonly servers: () => AggregateServer[],
    private readonly options: AggregateOptions = {},
  ) {
    this.timers = options.timers ?? REAL_TIMERS;
  }

  async open(session: ClientSession): Promise<InitializeResult> {
    this.states.set(session, { session, children: new Map(), pending: new Map(), requests: new Map(), listChanged: new Map() });
    this.counters.open(session);
    const asked = session.record.init.protocolVersion;
    return {
      protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(asked) ? asked : LATEST_PROTOCOL_VERSION,
      capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { subscribe: true, listChanged: true }, logging: {}, completions: {} },
      serverInfo: { name: 'shared-mcp', version: VERSION },
      instructions: 'Every server of Shared MCP in one place: tools and prompts are named <server>__<name>.',
    };
  }

  stats(session: ClientSession): SessionStats | undefined {
    return this.counters.get(session);
  }

  handle(session: ClientSession, msg: JsonRpcMessage): void {
    const state = this.states.get(session);
    if (!state) return;
    try {
      if (msg.method === undefined) return this.answerServerRequest(state, msg);
      if (msg.id === undefined || msg.id === null) return this.onNotification(state, msg);
      this.serve(state, msg, msg.id);
    } catch (err) {
      this.unhandled(err, 'a message from a client');
      if (msg.method !== undefined && msg.id !== undefined && msg.id !== null) this.deliver(state, errorResponse(msg.id, RPC_INTERNAL_ERROR, 'the host could not handle this request'));
    }
  }

  close(session: ClientSession): void {
    const state = this.states.get(session);
    if (!state) return;
    this.states.delete(session);
    this.counters.close(session);
    for (const t of state.listChanged.values()) clearTimeout(t);
    for (const ctx of state.requests.values()) ctx.cancelled = true;
    // Closing the children cancels their requests at the servers; what waited on them ends here.
    for (const p of [...state.pending.values()]) p.resolve(undefined);
    state.pending.clear();
    for (const { endpoint, child } of state.children.values()) void child.then((c) => this.closeChild(endpoint, c), () => undefined);
  }

  /** A server came up or went away: every session hears that the lists changed. */
  serversChanged(): void {
    for (const state of this.states.values()) {
      for (const method of ['notifications/tools/list_changed', 'notifications/prompts/list_changed', 'notifications/resources/list_changed']) this.coalesce(state, method);
    }
  }

  toolCount(): number | null {
    return null;
  }

  tools(): ToolSummary[] | null {
    return null;
  }

  dispose(): void {
    for (const session of [...this.states.keys()]) {
      this.close(session);
      this.onDidEndSessionEmitter.fire(session);
    }
  }

  /** Answers one client request; whatever happens, its count is released and at most one answer goes back. */
  private serve(state: State, msg: JsonRpcMessage, id: JsonRpcId): void {
    const ctx: RequestContext = { clientId: id, cancelled: false };
    state.requests.set(id, ctx);
    this.counters.started(state.session);
    let served = false;
    this.request(state, msg, ctx)
      .then(
        (reply) => {
          if (ctx.cancelled || !reply) return;
          served = true;
          this.deliver(state, { ...reply, jsonrpc: '2.0', id });
        },
        (err: unknown) => {
          if (ctx.cancelled) return;
          const e = toSharedMcpError(err);
          this.deliver(state, errorResponse(id, e.jsonRpcCode, e.message, e.details));
        },
      )
      .finally(() => {
        if (state.requests.get(id) === ctx) state.requests.delete(id);
        this.counters.finished(state.session, served);
      })
      .catch((err: unknown) => this.unhandled(err, `answering ${String(msg.method)}`));
  }

  private async request(state: State, msg: JsonRpcMessage, ctx: RequestContext): Promise<JsonRpcMessage | undefined> {
    const p = typeof msg.params === 'object' && msg.params !== null && !Array.isArray(msg.params) ? msg.params : {};
    const method = msg.method as string;
    const src = this.listSource(state, ctx);
    if (method === 'ping') return { jsonrpc: '2.0', result: {} };
    if (LISTS[method]) return this.lists.page(src, method, typeof p.cursor === 'string' ? p.cursor : undefined);
    const answer = (m: Asked): JsonRpcMessage | undefined => (m === 'skipped' ? undefined : m);
    switch (method) {
      case 'tools/call':
      case 'prompts/get': {
        const kind = method === 'tools/call' ? 'tools' : 'prompts';
        const target = await this.lists.resolveName(src, kind, String(p.name));
        if (!target) return errorResponse(0, RPC_INVALID_PARAMS, `${kind === 'tools' ? 'Tool' : 'Prompt'} ${String(p.name)} not found`);
        return answer(await this.ask(state, target[0], method, { ...p, name: target[1] }, ctx));
      }
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const server = await this.lists.serverOfUri(src, String(p.uri));
        if (!server) return errorResponse(0, RESOURCE_NOT_FOUND, `Resource ${String(p.uri)} not found`);
        return answer(await this.ask(state, server, method, p, ctx));
      }
      case 'completion/complete': {
        const ref = (typeof p.ref === 'object' && p.ref !== null ? p.ref : {}) as { type?: string; name?: string; uri?: string };
        if (ref.type === 'ref/prompt') {
          const target = await this.lists.resolveName(src, 'prompts', String(ref.name));
          if (!target) return errorResponse(0, RPC_INVALID_PARAMS, `Prompt ${String(ref.name)} not found`);
          return answer(await this.ask(state, target[0], method, { ...p, ref: { ...ref, name: target[1] } }, ctx));
        }
        const server = await this.lists.serverOfUri(src, String(ref.uri));
        if (!server) return errorResponse(0, RESOURCE_NOT_FOUND, `Resource ${String(ref.uri)} not found`);
        return answer(await this.ask(state, server, method, p, ctx));
      }
      case 'logging/setLevel':
        state.level = String(p.level);
        await Promise.all([...state.children.keys()].map((s) => this.ask(state, s, method, p, ctx).catch(() => undefined)));
        return { jsonrpc: '2.0', result: {} };
      default:
        return errorResponse(0, RPC_METHOD_NOT_FOUND, `Method not found: ${method}`);
    }
  }

  /** The lists' view of this session, for one client request. */
  private listSource(state: State, ctx: RequestContext): ListSource {
    return {
      servers: () => this.available().map((s) => s.name),
      open: async (server) => {
        const child = await withTimeout(this.child(state, server), OPEN_WAIT_MS).catch((err: unknown) => (toSharedMcpError(err).code === 'TIMEOUT' ? ('skipped' as const) : undefined));
        return typeof child === 'object' ? child.capabilities : child;
      },
      ask: (server, method, params, waitMs) => this.ask(state, server, method, params, ctx, waitMs).catch(() => undefined),
      get cancelled() {
        return ctx.cancelled;
      },
    };
  }

  /**
   * Sends a request to one server's mux as this session's child and waits for the answer: undefined when nobody
   * waits any more (the client cancelled, the session ended); with waitMs, 'skipped' past it (and cancelled there).
   */
  private async ask(state: State, server: string, method: string, params: Record<string, unknown>, ctx?: RequestContext, waitMs?: number): Promise<Asked> {
    const child = await this.child(state, server);
    if (ctx?.cancelled || !this.states.has(state.session)) return undefined;
    const id = this.ids.next();
    let skipped = false;
    const answer = await new Promise<JsonRpcMessage | undefined>((resolve) => {
      const timer =
        waitMs === undefined
          ? undefined
          : this.timers.start(waitMs, () => {
              if (!state.pending.has(id)) return;
              skipped = true;
              this.log(`${server}: ${method} got no answer within ${timeoutText(waitMs)}: skipped in the aggregate's list, and cancelled at the server`);
              this.cancelChild(state, id, `no answer within ${timeoutText(waitMs)} for the aggregate's list`);
            });
      state.pending.set(id, { child, ...(ctx ? { ctx } : {}), resolve: (m) => (timer?.cancel(), resolve(m)) });
      this.toChild(child, { jsonrpc: '2.0', id, method, params });
    });
    return skipped && !ctx?.cancelled ? 'skipped' : answer;
  }

  /** Nobody waits for the child's answer any more: its server hears so (through its mux, under the id it saw). */
  private cancelChild(state: State, id: string, reason: string): void {
    const p = state.pending.get(id);
    if (!p) return;
    state.pending.delete(id);
    this.toChild(p.child, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } });
    p.resolve(undefined);
  }

  private child(state: State, server: string): Promise<ChildSession> {
    // A request that outlived its session must not open (and so keep running) servers for nobody.
    if (!this.states.has(state.session)) return Promise.reject(new SharedMcpError('SESSION_NOT_FOUND', 'the session ended'));
    const endpoint = this.endpointOf(server);
    if (!endpoint) return Promise.reject(new SharedMcpError('UNKNOWN_SERVER', `unknown server: ${server}`));
    const known = state.children.get(server);
    if (known?.endpoint === endpoint) return known.child;
    const c = new ChildSession(state.session, server, endpoint, (ch, m, related) => this.fromChild(state, ch, m, related));
    const child = endpoint.open(c).then((result) => {
      c.capabilities = result.capabilities;
      if (state.level && result.capabilities.logging) this.toChild(c, { jsonrpc: '2.0', id: this.ids.next(), method: 'logging/setLevel', params: { level: state.level } });
      return c;
    });
    child.catch(() => state.children.get(server)?.child === child && state.children.delete(server));
    state.children.set(server, { endpoint, child });
    return child;
  }

  private fromChild(state: State, child: ChildSession, msg: JsonRpcMessage, related?: JsonRpcId): void {
    try {
      if (msg.method === undefined) {
        const p = state.pending.get(String(msg.id));
        state.pending.delete(String(msg.id));
        return p?.resolve(msg);
      }
      const clientId = related !== undefined ? state.pending.get(String(related))?.ctx?.clientId : undefined;
      if (msg.id !== undefined && msg.id !== null) return this.deliver(state, { ...msg, id: `${child.server}|${String(msg.id)}` }, clientId);
      if (msg.method.endsWith('/list_changed')) return this.coalesce(state, msg.method);
      if (msg.method === 'notifications/cancelled') return this.deliver(state, { ...msg, params: { ...msg.params, requestId: `${child.server}|${String(msg.params?.requestId)}` } });
      this.deliver(state, msg, clientId);
    } catch (err) {
      this.unhandled(err, `a message from ${child.server}`);
    }
  }

  private coalesce(state: State, method: string): void {
    if (state.listChanged.has(method)) return;
    const timer = setTimeout(() => {
      state.listChanged.delete(method);
      if (this.states.has(state.session)) this.deliver(state, { jsonrpc: '2.0', method });
    }, LIST_CHANGED_COALESCE_MS);
    state.listChanged.set(method, timer);
  }

  /** A client's answer to a server's request (sampling, elicitation): back to that server's mux. */
  private answerServerRequest(state: State, msg: JsonRpcMessage): void {
    const [server, ...rest] = String(msg.id).split('|');
    const known = state.children.get(server);
    if (!known || rest.length === 0) return;
    void known.child.then(
      (c) => this.toChild(c, { ...msg, id: rest.join('|') }),
      () => undefined,
    );
  }

  private onNotification(state: State, msg: JsonRpcMessage): void {
    if (msg.method !== 'notifications/cancelled') return;
    const clientId = msg.params?.requestId;
    const ctx = typeof clientId === 'string' || typeof clientId === 'number' ? state.requests.get(clientId) : undefined;
    if (!ctx) return;
    ctx.cancelled = true;
    for (const [id, p] of [...state.pending]) if (p.ctx === ctx) this.cancelChild(state, id, typeof msg.params?.reason === 'string' ? msg.params.reason : 'the client cancelled');
    state.session.cancelled?.(ctx.clientId);
  }

  private toChild(child: ChildSession, msg: JsonRpcMessage): void {
    try {
      child.endpoint.handle(child, msg);
    } catch (err) {
      this.unhandled(err, `a message to ${child.server}`);
    }
  }

  private closeChild(endpoint: McpEndpoint, child: ChildSession): void {
    try {
      endpoint.close(child);
    } catch (err) {
      this.unhandled(err, `closing the session with ${child.server}`);
    }
  }

  private deliver(state: State, msg: JsonRpcMessage, relatedId?: JsonRpcId): void {
    try {
      state.session.deliver(msg, relatedId);
    } catch (err) {
      this.unhandled(err, 'delivering a message to a client');
    }
  }

  private unhandled(err: unknown, what: string): void {
    this.log(`aggregate: ${what} could not be handled: ${toSharedMcpError(err).message}`);
  }

  private log(message: string): void {
    this.options.log?.(message);
  }

  private available(): AggregateServer[] {
    return this.servers().filter((s) => LISTED.has(s.state));
  }

  private endpointOf(server: string): McpEndpoint | undefined {
    return this.servers().find((s) => s.name === server)?.endpoint;
  }
}
