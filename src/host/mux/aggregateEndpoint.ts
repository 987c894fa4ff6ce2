import type { ToolSummary } from './listCache';
import { Emitter } from '../../shared/emitter';
import { toSharedMcpError } from '../../shared/errors';
import { VERSION } from '../../shared/version';
import { IdAllocator } from '../backends/idAllocator';
import {
  LATEST_PROTOCOL_VERSION,
  RPC_INTERNAL_ERROR,
  RPC_INVALID_PARAMS,
  RPC_METHOD_NOT_FOUND,
  answeredProtocolVersion,
  errorResponse,
  type InitializeResult,
  type JsonRpcId,
  type JsonRpcMessage,
} from '../backends/jsonRpc';
import type { ChildSession } from './aggregateChild';
import { ChildSet, type RequestContext } from './aggregateChildren';
import { AggregateLists, LISTS, type Asked, type ListSource } from './aggregateLists';
import type { ClientSession } from './clientSession';
import type { McpEndpoint } from './mcpEndpoint';
import { SessionStatsTable, type SessionStats } from './sessionStats';
import { REAL_TIMERS, withDeadline, type Timers } from './timers';

/** MCP's code for an unknown resource URI. */
const RESOURCE_NOT_FOUND = -32002;
/** States whose servers the aggregate lists: running ones, and lazy or idle-stopped ones (they start on demand). */
const LISTED = new Set(['running', 'idle']);
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

interface State {
  session: ClientSession;
  children: ChildSet;
  /** The client's requests being served, by client id. */
  requests: Map<JsonRpcId, RequestContext>;
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
    const children = new ChildSet({
      session,
      endpointOf: (server) => this.endpointOf(server),
      ids: this.ids,
      timers: this.timers,
      log: (m) => this.log(m),
      onMessage: (child, msg, clientId) => this.fromChild(this.states.get(session), child, msg, clientId),
    });
    this.states.set(session, { session, children, requests: new Map(), listChanged: new Map() });
    this.counters.open(session);
    const asked = session.record.init.protocolVersion;
    return {
      protocolVersion: answeredProtocolVersion(asked, LATEST_PROTOCOL_VERSION),
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
    state.children.close();
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
        return answer(await state.children.ask(target[0], method, { ...p, name: target[1] }, ctx));
      }
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const server = await this.lists.serverOfUri(src, String(p.uri));
        if (!server) return errorResponse(0, RESOURCE_NOT_FOUND, `Resource ${String(p.uri)} not found`);
        return answer(await state.children.ask(server, method, p, ctx));
      }
      case 'completion/complete': {
        const ref = (typeof p.ref === 'object' && p.ref !== null ? p.ref : {}) as { type?: string; name?: string; uri?: string };
        if (ref.type === 'ref/prompt') {
          const target = await this.lists.resolveName(src, 'prompts', String(ref.name));
          if (!target) return errorResponse(0, RPC_INVALID_PARAMS, `Prompt ${String(ref.name)} not found`);
          return answer(await state.children.ask(target[0], method, { ...p, ref: { ...ref, name: target[1] } }, ctx));
        }
        const server = await this.lists.serverOfUri(src, String(ref.uri));
        if (!server) return errorResponse(0, RESOURCE_NOT_FOUND, `Resource ${String(ref.uri)} not found`);
        return answer(await state.children.ask(server, method, p, ctx));
      }
      case 'logging/setLevel':
        state.children.level = String(p.level);
        await Promise.all(state.children.servers().map((s) => state.children.ask(s, method, p, ctx).catch(() => undefined)));
        return { jsonrpc: '2.0', result: {} };
      default:
        return errorResponse(0, RPC_METHOD_NOT_FOUND, `Method not found: ${method}`);
    }
  }

  /** The lists' view of this session, for one client request. */
  private listSource(state: State, ctx: RequestContext): ListSource {
    return {
      servers: () => this.available().map((s) => s.name),
      // A server slower to start than the wait is left out, and announced with list_changed once it runs.
      open: async (server, waitMs) => {
        const child = await withDeadline(this.timers, state.children.child(server), waitMs).catch((err: unknown) => (toSharedMcpError(err).code === 'TIMEOUT' ? ('skipped' as const) : undefined));
        return typeof child === 'object' ? child.capabilities : child;
      },
      ask: (server, method, params, waitMs) => state.children.ask(server, method, params, ctx, waitMs).catch(() => undefined),
      get cancelled() {
        return ctx.cancelled;
      },
    };
  }

  /** A child's notification or request, renamed for the aggregate's client. */
  private fromChild(state: State | undefined, child: ChildSession, msg: JsonRpcMessage, clientId?: JsonRpcId): void {
    if (!state || msg.method === undefined) return;
    if (msg.id !== undefined && msg.id !== null) return this.deliver(state, { ...msg, id: `${child.server}|${String(msg.id)}` }, clientId);
    if (msg.method.endsWith('/list_changed')) return this.coalesce(state, msg.method);
    if (msg.method === 'notifications/cancelled') return this.deliver(state, { ...msg, params: { ...msg.params, requestId: `${child.server}|${String(msg.params?.requestId)}` } });
    this.deliver(state, msg, clientId);
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
    if (rest.length > 0) state.children.sendTo(server, { ...msg, id: rest.join('|') });
  }

  private onNotification(state: State, msg: JsonRpcMessage): void {
    if (msg.method !== 'notifications/cancelled') return;
    const clientId = msg.params?.requestId;
    const ctx = typeof clientId === 'string' || typeof clientId === 'number' ? state.requests.get(clientId) : undefined;
    if (!ctx) return;
    ctx.cancelled = true;
    state.children.cancelFor(ctx, typeof msg.params?.reason === 'string' ? msg.params.reason : 'the client cancelled');
    state.session.cancelled?.(ctx.clientId);
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
