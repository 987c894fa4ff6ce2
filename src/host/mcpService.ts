import type { ServerStatus, SessionStatus } from '../shared/controlTypes';
import type { Disposable } from '../shared/emitter';
import { SharedMcpError } from '../shared/errors';
import { SSE_HEARTBEAT_MS } from './http/httpUtils';
import { LegacySseServer } from './http/legacySse';
import type { Route, RouteContext } from './http/routeTable';
import { StreamableHttp } from './http/streamableHttp';
import { AggregateEndpoint } from './mux/aggregateEndpoint';
import { SessionManager } from './mux/sessionManager';
import { sessionStatus } from './mux/sessionStatus';
import { SessionStore } from './mux/sessionStore';
import type { ServerSet } from './serverSet';

export interface McpServiceOptions {
  servers: ServerSet;
  sessionsFile: string;
  maxMessageBytes(): number;
  maxSessions(): number;
  sessionIdleTimeoutMs(): number;
  log(message: string): void;
  /** How often a quiet MCP event stream gets a keep-alive comment (env SHARED_MCP_SSE_HEARTBEAT_MS, for tests). */
  sseHeartbeatMs?: number;
}

/** Everything MCP clients reach: the endpoints' routes and their sessions (live and persisted). */
export class McpService {
  private readonly aggregate: AggregateEndpoint;
  private readonly store: SessionStore;
  readonly sessions: SessionManager;
  private readonly streamable: StreamableHttp;
  private readonly legacy: LegacySseServer;
  private readonly serverStates: Disposable;

  constructor(private readonly options: McpServiceOptions) {
    const { servers } = options;
    this.aggregate = new AggregateEndpoint(() => servers.endpoints().map((e) => ({ name: e.name, state: e.supervisor.state, endpoint: e.endpoint })), { log: options.log });
    this.store = new SessionStore(options.sessionsFile, options.log);
    this.sessions = new SessionManager({
      store: this.store,
      endpoint: (name) => (name === '' ? this.aggregate : servers.endpoint(name)),
      maxSessions: options.maxSessions,
      idleTimeoutMs: options.sessionIdleTimeoutMs,
      log: options.log,
    });
    const heartbeatMs = options.sseHeartbeatMs ?? heartbeatFromEnv(process.env) ?? SSE_HEARTBEAT_MS;
    this.streamable = new StreamableHttp({ sessions: this.sessions, maxMessageBytes: options.maxMessageBytes, heartbeatMs });
    this.legacy = new LegacySseServer(this.sessions, options.maxMessageBytes, heartbeatMs, options.log);
    this.serverStates = servers.onDidChangeState((c) => {
      if (c.state === 'running' || c.previous === 'running') this.aggregate.serversChanged();
    });
  }

  /** Reads the persisted sessions. */
  async load(): Promise<void> {
    await this.store.load();
  }

  /**
   * The MCP routes (client token; they wait for start-up, before which every server would look unknown and a 404
   * would end sessions): Streamable HTTP on /mcp/<server>, legacy HTTP+SSE on /sse/<server> and /messages/<server>;
   * without a name, the aggregate.
   */
  routes(): Route[] {
    const mcp = (methods: string[], path: string, handle: (ctx: RouteContext, endpoint: string) => Promise<void> | void): Route => ({
      methods,
      path,
      auth: 'client-token',
      needsReady: true,
      errors: 'json-rpc',
      handle: (ctx) => handle(ctx, this.endpointOf(ctx.params.server)),
    });
    return [
      mcp(['POST'], '/mcp/:server?', ({ req, res }, endpoint) => this.streamable.post(req, res, endpoint)),
      mcp(['GET'], '/mcp/:server?', ({ req, res }, endpoint) => this.streamable.get(req, res, endpoint)),
      mcp(['DELETE'], '/mcp/:server?', ({ req, res }, endpoint) => this.streamable.delete(req, res, endpoint)),
      mcp(['GET'], '/sse/:server?', ({ res }, endpoint) => this.legacy.open(res, endpoint, endpoint ? `/messages/${encodeURIComponent(endpoint)}` : '/messages')),
      mcp(['POST'], '/messages/:server?', ({ req, res, query }, endpoint) => this.legacy.post(req, res, endpoint, new URLSearchParams(query).get('sessionId'))),
    ];
  }

  /** The endpoint a path names ("" is the aggregate); sessions of a removed server get 404 too, which tells clients to start over. */
  private endpointOf(name: string | undefined): string {
    const endpoint = name ?? '';
    if (endpoint === '' || this.options.servers.endpoint(endpoint) !== undefined) return endpoint;
    throw new SharedMcpError('UNKNOWN_SERVER', `unknown server: ${endpoint}`);
  }

  /** Fills each server's sessions into its status; returns the aggregate's. */
  addSessions(servers: ServerStatus[]): SessionStatus[] {
    const byEndpoint = this.sessions.byEndpoint();
    for (const s of servers) s.sessions = (byEndpoint.get(s.name) ?? []).map((session) => sessionStatus(session, this.options.servers.endpoint(s.name)));
    return (byEndpoint.get('') ?? []).map((session) => sessionStatus(session, this.aggregate));
  }

  /** A server left the config: its sessions will not come back. */
  forgetServer(name: string): void {
    this.sessions.forgetEndpoint(name);
  }

  /** Ends every stream and session (kept on disk for the next host); idempotent. */
  async close(): Promise<void> {
    this.serverStates.dispose();
    this.aggregate.dispose();
    this.legacy.close();
    await this.sessions.close();
  }
}

/** SHARED_MCP_SSE_HEARTBEAT_MS: a shorter keep-alive interval for MCP streams, so that a test need not wait 15 s for one. */
function heartbeatFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const ms = Number(env.SHARED_MCP_SSE_HEARTBEAT_MS);
  return Number.isInteger(ms) && ms >= 10 ? ms : undefined;
}
