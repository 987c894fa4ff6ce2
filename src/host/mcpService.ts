import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerStatus, SessionStatus } from '../shared/controlTypes';
import type { Disposable } from '../shared/emitter';
import type { ClientToken } from './clientToken';
import { LegacySseServer } from './http/legacySse';
import { handleMcp, parseMcpPath } from './http/mcpRouter';
import { AggregateEndpoint } from './mux/aggregateEndpoint';
import { SessionManager } from './mux/sessionManager';
import { sessionStatus } from './mux/sessionStatus';
import { SessionStore } from './mux/sessionStore';
import type { ServerSet } from './serverSet';

export interface McpServiceOptions {
  servers: ServerSet;
  /** The client token, held by the host in memory. */
  token: ClientToken;
  sessionsFile: string;
  maxMessageBytes(): number;
  maxSessions(): number;
  sessionIdleTimeoutMs(): number;
  /** Resolves once the config is applied: before that every server would look unknown (404 ends sessions). */
  ready(): Promise<void>;
  log(message: string): void;
}

/** Everything MCP clients reach: the endpoints, their sessions (live and persisted), and the bearer token check. */
export class McpService {
  private readonly aggregate: AggregateEndpoint;
  private readonly store: SessionStore;
  readonly sessions: SessionManager;
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
    this.legacy = new LegacySseServer(this.sessions, options.maxMessageBytes);
    this.serverStates = servers.onDidChangeState((c) => {
      if (c.state === 'running' || c.previous === 'running') this.aggregate.serversChanged();
    });
  }

  /** Reads the persisted sessions. */
  async load(): Promise<void> {
    await this.store.load();
  }

  /** Serves the request when its path is an MCP endpoint; false for any other path. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    // The hot path: no URL object, the query is parsed only where one is used (legacy /messages).
    const raw = req.url ?? '/';
    const q = raw.indexOf('?');
    const route = parseMcpPath(q < 0 ? raw : raw.slice(0, q));
    if (!route) return false;
    await this.options.ready();
    await handleMcp(req, res, q < 0 ? '' : raw.slice(q + 1), route, {
      token: this.options.token,
      sessions: this.sessions,
      legacy: this.legacy,
      maxMessageBytes: this.options.maxMessageBytes,
      hasEndpoint: (name) => name === '' || this.options.servers.endpoint(name) !== undefined,
    });
    return true;
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
