import type { ToolSummary } from './listCache';
import { Emitter } from '../../shared/emitter';
import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import { VERSION } from '../../shared/version';
import {
  LATEST_PROTOCOL_VERSION,
  RPC_INVALID_PARAMS,
  RPC_METHOD_NOT_FOUND,
  SUPPORTED_PROTOCOL_VERSIONS,
  errorResponse,
  type InitializeResult,
  type JsonRpcId,
  type JsonRpcMessage,
} from '../backends/jsonRpc';
import { aggregateName, decodeCursor, encodeCursor } from './aggregateNames';
import { ChildSession, withTimeout } from './aggregateChild';
import type { ClientSession } from './clientSession';
import type { McpEndpoint } from './mcpEndpoint';

/** MCP's code for an unknown resource URI. */
const RESOURCE_NOT_FOUND = -32002;
/** States whose servers the aggregate lists: running ones, and lazy or idle-stopped ones (they start on demand). */
const LISTED = new Set(['running', 'idle']);
/** A list page waits this long for a server to start; a slower one is left out and announced with list_changed once it runs. */
const OPEN_WAIT_MS = 5000;
/** Several servers' list changes within this window reach the client as one notification. */
const LIST_CHANGED_COALESCE_MS = 100;
const LISTS: Record<string, { key: string; capability: string; renamed: boolean }> = {
  'tools/list': { key: 'tools', capability: 'tools', renamed: true },
  'prompts/list': { key: 'prompts', capability: 'prompts', renamed: true },
  'resources/list': { key: 'resources', capability: 'resources', renamed: false },
  'resources/templates/list': { key: 'resourceTemplates', capability: 'resources', renamed: false },
};

export interface AggregateServer {
  name: string;
  state: string;
  endpoint: McpEndpoint;
}

interface Pending {
  child: ChildSession;
  clientId?: JsonRpcId;
  /** Called with undefined when the client cancelled: no answer goes back then. */
  resolve(msg: JsonRpcMessage | undefined): void;
}

interface State {
  session: ClientSession;
  /** Per server: the child session, and the endpoint it was opened on (a reloaded server has a new one). */
  children: Map<string, { endpoint: McpEndpoint; child: Promise<ChildSession> }>;
  pending: Map<string, Pending>;
  level?: string;
  listChanged: Map<string, NodeJS.Timeout>;
}

/**
 * `/mcp`: every server behind one session. Tools and prompts are named `<server>__<name>`, resources keep their
 * URIs; list pages walk the servers in turn under one opaque cursor; calls go to the server that listed the name.
 */
export class AggregateEndpoint implements McpEndpoint {
  private readonly onDidEndSessionEmitter = new Emitter<ClientSession>();
  readonly onDidEndSession = this.onDidEndSessionEmitter.event;
  private readonly states = new Map<ClientSession, State>();
  /** Aggregate name → server and original name, for tools and prompts; URI → server for resources. */
  private readonly names = { tools: new Map<string, [string, string]>(), prompts: new Map<string, [string, string]>(), resources: new Map<string, string>() };
  private nextId = 1;

  constructor(private readonly servers: () => AggregateServer[]) {}

  async open(session: ClientSession): Promise<InitializeResult> {
    this.states.set(session, { session, children: new Map(), pending: new Map(), listChanged: new Map() });
    const asked = session.record.init.protocolVersion;
    return {
      protocolVersion: SUPPORTED_PROTOCOL_VERSIONS.includes(asked) ? asked : LATEST_PROTOCOL_VERSION,
      capabilities: { tools: { listChanged: true }, prompts: { listChanged: true }, resources: { subscribe: true, listChanged: true }, logging: {}, completions: {} },
      serverInfo: { name: 'shared-mcp', version: VERSION },
      instructions: 'Every server of Shared MCP in one place: tools and prompts are named <server>__<name>.',
    };
  }

  handle(session: ClientSession, msg: JsonRpcMessage): void {
    const state = this.states.get(session);
    if (!state) return;
    session.stats.lastActivity = Date.now();
    if (msg.method === undefined) return this.answerServerRequest(state, msg);
    if (msg.id === undefined || msg.id === null) return this.onNotification(state, msg);
    const id = msg.id;
    session.stats.inFlight++;
    this.request(state, msg).then(
      (reply) => {
        session.stats.inFlight--;
        session.stats.callsServed++;
        if (reply) session.deliver({ ...reply, jsonrpc: '2.0', id });
      },
      (err: unknown) => {
        session.stats.inFlight--;
        const e = toSharedMcpError(err);
        session.deliver(errorResponse(id, e.jsonRpcCode, e.message));
      },
    );
  }

  close(session: ClientSession): void {
    const state = this.states.get(session);
    if (!state) return;
    this.states.delete(session);
    for (const t of state.listChanged.values()) clearTimeout(t);
    for (const { endpoint, child } of state.children.values()) void child.then((c) => endpoint.close(c), () => undefined);
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

  private async request(state: State, msg: JsonRpcMessage): Promise<JsonRpcMessage | undefined> {
    const p = msg.params ?? {};
    const method = msg.method as string;
    if (method === 'ping') return { jsonrpc: '2.0', result: {} };
    if (LISTS[method]) return this.listPage(state, method, p.cursor as string | undefined);
    switch (method) {
      case 'tools/call':
      case 'prompts/get': {
        const kind = method === 'tools/call' ? 'tools' : 'prompts';
        const target = await this.resolveName(state, kind, String(p.name));
        if (!target) return errorResponse(0, RPC_INVALID_PARAMS, `${kind === 'tools' ? 'Tool' : 'Prompt'} ${String(p.name)} not found`);
        return this.ask(state, target[0], method, { ...p, name: target[1] }, msg.id as JsonRpcId);
      }
      case 'resources/read':
      case 'resources/subscribe':
      case 'resources/unsubscribe': {
        const server = await this.serverOfUri(state, String(p.uri));
        if (!server) return errorResponse(0, RESOURCE_NOT_FOUND, `Resource ${String(p.uri)} not found`);
        return this.ask(state, server, method, p, msg.id as JsonRpcId);
      }
      case 'completion/complete': {
        const ref = (p.ref ?? {}) as { type?: string; name?: string; uri?: string };
        if (ref.type === 'ref/prompt') {
          const target = await this.resolveName(state, 'prompts', String(ref.name));
          if (!target) return errorResponse(0, RPC_INVALID_PARAMS, `Prompt ${String(ref.name)} not found`);
          return this.ask(state, target[0], method, { ...p, ref: { ...ref, name: target[1] } }, msg.id as JsonRpcId);
        }
        const server = await this.serverOfUri(state, String(ref.uri));
        if (!server) return errorResponse(0, RESOURCE_NOT_FOUND, `Resource ${String(ref.uri)} not found`);
        return this.ask(state, server, method, p, msg.id as JsonRpcId);
      }
      case 'logging/setLevel':
        state.level = String(p.level);
        await Promise.all([...state.children.keys()].map((s) => this.ask(state, s, method, p).catch(() => undefined)));
        return { jsonrpc: '2.0', result: {} };
      default:
        return errorResponse(0, RPC_METHOD_NOT_FOUND, `Method not found: ${method}`);
    }
  }

  /** One page of a list: the cursor names the server whose page comes next; servers without the list are skipped. */
  private async listPage(state: State, method: string, cursorText: string | undefined): Promise<JsonRpcMessage> {
    const list = LISTS[method];
    const servers = this.available().map((s) => s.name);
    const cursor = cursorText ? decodeCursor(cursorText) : undefined;
    if (cursorText && (!cursor || !servers.includes(cursor.server))) return errorResponse(0, RPC_INVALID_PARAMS, 'Invalid cursor');
    for (let i = cursor ? servers.indexOf(cursor.server) : 0; i < servers.length; i++) {
      const server = servers[i];
      const inner = cursor && server === cursor.server ? cursor.cursor : null;
      const child = await withTimeout(this.child(state, server), OPEN_WAIT_MS).catch(() => undefined);
      if (!child || child.capabilities[list.capability] === undefined) continue;
      const reply = await this.ask(state, server, method, inner ? { cursor: inner } : {}).catch(() => undefined);
      if (!reply?.result) continue;
      const items = (reply.result[list.key] as Array<Record<string, unknown>> | undefined) ?? [];
      const nextInner = typeof reply.result.nextCursor === 'string' ? reply.result.nextCursor : null;
      const nextServer = nextInner ? server : servers[i + 1];
      const renamed = items.map((item) => this.rename(list.key, server, item));
      const next = nextServer ? encodeCursor({ server: nextServer, cursor: nextInner }) : undefined;
      return { jsonrpc: '2.0', result: { [list.key]: renamed, ...(next ? { nextCursor: next } : {}) } };
    }
    return { jsonrpc: '2.0', result: { [list.key]: [] } };
  }

  private rename(key: string, server: string, item: Record<string, unknown>): Record<string, unknown> {
    if (key === 'resources' && typeof item.uri === 'string') this.names.resources.set(item.uri, server);
    if (key !== 'tools' && key !== 'prompts') return item;
    const original = String(item.name);
    const name = aggregateName(server, original);
    this.names[key].set(name, [server, original]);
    return { ...item, name, ...(key === 'tools' && !item.title ? { title: original } : {}) };
  }

  /** The server and original name behind an aggregate name; lists every server once when it is not known yet. */
  private async resolveName(state: State, kind: 'tools' | 'prompts', name: string): Promise<[string, string] | undefined> {
    if (!this.names[kind].has(name)) await this.listEverything(state, `${kind}/list`);
    return this.names[kind].get(name);
  }

  private async serverOfUri(state: State, uri: string): Promise<string | undefined> {
    if (!this.names.resources.has(uri)) await this.listEverything(state, 'resources/list');
    const known = this.names.resources.get(uri);
    if (known) return known;
    // A templated resource is listed by nobody: the first server that offers resources and knows the scheme wins.
    const scheme = uri.split(':')[0];
    for (const s of this.available()) {
      const child = await this.child(state, s.name).catch(() => undefined);
      if (child?.capabilities.resources === undefined) continue;
      if ([...this.names.resources].some(([u, srv]) => srv === s.name && u.split(':')[0] === scheme)) return s.name;
    }
    return undefined;
  }

  private async listEverything(state: State, method: string): Promise<void> {
    let cursor: string | undefined;
    for (let page = 0; page < 200; page++) {
      const reply = await this.listPage(state, method, cursor);
      cursor = reply?.result?.nextCursor as string | undefined;
      if (!cursor) return;
    }
  }

  /** Sends a request to one server's mux as this session's child, and waits for the answer. */
  private async ask(state: State, server: string, method: string, params: Record<string, unknown>, clientId?: JsonRpcId): Promise<JsonRpcMessage | undefined> {
    const child = await this.child(state, server);
    const id = `agg-${this.nextId++}`;
    return new Promise((resolve) => {
      state.pending.set(id, { child, ...(clientId !== undefined ? { clientId } : {}), resolve });
      child.endpoint.handle(child, { jsonrpc: '2.0', id, method, params });
    });
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
      if (state.level && result.capabilities.logging) endpoint.handle(c, { jsonrpc: '2.0', id: `agg-${this.nextId++}`, method: 'logging/setLevel', params: { level: state.level } });
      return c;
    });
    child.catch(() => state.children.get(server)?.child === child && state.children.delete(server));
    state.children.set(server, { endpoint, child });
    return child;
  }

  private fromChild(state: State, child: ChildSession, msg: JsonRpcMessage, related?: JsonRpcId): void {
    if (msg.method === undefined) {
      const p = state.pending.get(String(msg.id));
      state.pending.delete(String(msg.id));
      return p?.resolve(msg);
    }
    const clientId = related !== undefined ? state.pending.get(String(related))?.clientId : undefined;
    if (msg.id !== undefined && msg.id !== null) return state.session.deliver({ ...msg, id: `${child.server}|${String(msg.id)}` }, clientId);
    if (msg.method.endsWith('/list_changed')) return this.coalesce(state, msg.method);
    if (msg.method === 'notifications/cancelled') return state.session.deliver({ ...msg, params: { ...msg.params, requestId: `${child.server}|${String(msg.params?.requestId)}` } });
    state.session.deliver(msg, clientId);
  }

  private coalesce(state: State, method: string): void {
    if (state.listChanged.has(method)) return;
    const timer = setTimeout(() => {
      state.listChanged.delete(method);
      if (this.states.has(state.session)) state.session.deliver({ jsonrpc: '2.0', method });
    }, LIST_CHANGED_COALESCE_MS);
    state.listChanged.set(method, timer);
  }

  private answerServerRequest(state: State, msg: JsonRpcMessage): void {
    const [server, ...rest] = String(msg.id).split('|');
    const known = state.children.get(server);
    if (!known || rest.length === 0) return;
    void known.child.then((c) => c.endpoint.handle(c, { ...msg, id: rest.join('|') }), () => undefined);
  }

  private onNotification(state: State, msg: JsonRpcMessage): void {
    if (msg.method !== 'notifications/cancelled') return;
    const clientId = msg.params?.requestId;
    for (const [id, p] of state.pending) {
      if (p.clientId !== clientId) continue;
      state.pending.delete(id);
      p.child.endpoint.handle(p.child, { ...msg, params: { ...msg.params, requestId: id } });
      p.resolve(undefined);
      state.session.cancelled?.(clientId as JsonRpcId);
    }
  }

  private available(): AggregateServer[] {
    return this.servers().filter((s) => LISTED.has(s.state));
  }

  private endpointOf(server: string): McpEndpoint | undefined {
    return this.servers().find((s) => s.name === server)?.endpoint;
  }
}
