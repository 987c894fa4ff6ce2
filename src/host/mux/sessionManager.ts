import { randomUUID } from 'node:crypto';
import { SharedMcpError } from '../../shared/errors';
import { Emitter, type Disposable } from '../../shared/emitter';
import type { InitializeParams, InitializeResult, JsonRpcMessage } from '../backends/jsonRpc';
import type { ClientSession, SessionRecord } from './clientSession';
import type { McpEndpoint } from './mcpEndpoint';
import type { SessionStore } from './sessionStore';

/**
 * A session as its transport holds it: it can also be told to end (close its streams). The transport reports one
 * fact of its own, whether the client holds a stream open; what the session has in flight is its endpoint's count,
 * and when it was last active (record.lastActivity) is the manager's.
 */
export interface HostedSession extends ClientSession {
  readonly transport: 'streamable-http' | 'sse';
  /** Closes the transport's streams; the mux side is closed by the manager. */
  terminate(): void;
  /** True while the client holds a stream open (it counts as active then). */
  hasOpenStream(): boolean;
}

export interface SessionManagerOptions {
  store: SessionStore;
  /** The endpoint for a server name ("" is the aggregate), or undefined when there is none. */
  endpoint(name: string): McpEndpoint | undefined;
  maxSessions(): number;
  idleTimeoutMs(): number;
  log(message: string): void;
}

interface Live {
  session: HostedSession;
  endpoint: McpEndpoint;
}

/** Every open session of the host, across endpoints: creation with a cap, lookup and resurrection, idle reaping. */
export class SessionManager {
  private readonly live = new Map<string, Live>();
  /** Sessions whose endpoint is still opening count towards the cap too. */
  private opening = 0;
  private readonly resurrecting = new Map<string, Promise<HostedSession | undefined>>();
  /** One listener per endpoint object, with the name it serves (a reloaded server gets a new endpoint). */
  private readonly endpointSubscriptions = new Map<McpEndpoint, { name: string; subscription: Disposable }>();
  private readonly reaper: NodeJS.Timeout;
  private readonly onDidChangeSessionsEmitter = new Emitter<string>();
  /** A session opened or ended on an endpoint (its name; "" is the aggregate). */
  readonly onDidChangeSessions = this.onDidChangeSessionsEmitter.event;

  constructor(private readonly options: SessionManagerOptions) {
    this.reaper = setInterval(() => this.reap(), 1000);
    this.reaper.unref();
  }

  get size(): number {
    return this.live.size;
  }

  /** Opens a new session for initialize; throws NOT_FOUND for an unknown endpoint, TOO_MANY_SESSIONS over the cap. */
  async create<T extends HostedSession>(
    endpointName: string,
    init: InitializeParams,
    make: (record: SessionRecord) => T,
    opts: { id?: string; persist?: boolean } = {},
  ): Promise<{ session: T; result: InitializeResult }> {
    const endpoint = this.endpointOf(endpointName);
    this.checkCap();
    const now = Date.now();
    const record: SessionRecord = { id: opts.id ?? randomUUID(), endpoint: endpointName, protocolVersion: init.protocolVersion, init, createdAt: now, lastActivity: now };
    const session = make(record);
    this.opening++;
    const result = await endpoint.open(session).finally(() => this.opening--);
    record.protocolVersion = result.protocolVersion;
    this.add(session, endpoint);
    if (opts.persist !== false) this.options.store.put(record);
    return { session, result };
  }

  /** The live session with this id on this endpoint, or one recreated from the store after a host restart. */
  async find(id: string, endpointName: string, make: (record: SessionRecord) => HostedSession, resurrect = true): Promise<HostedSession | undefined> {
    const found = this.live.get(id);
    if (found) return found.session.record.endpoint === endpointName ? found.session : undefined;
    if (!resurrect) return undefined;
    const record = this.options.store.get(id);
    if (!record || record.endpoint !== endpointName) return undefined;
    let pending = this.resurrecting.get(id);
    if (!pending) {
      pending = this.resurrect(record, make).finally(() => this.resurrecting.delete(id));
      this.resurrecting.set(id, pending);
    }
    return pending;
  }

  /** Whether the id names a session of this endpoint, live or on disk. */
  knows(id: string, endpointName: string): boolean {
    const r = this.live.get(id)?.session.record ?? this.options.store.get(id);
    return r?.endpoint === endpointName;
  }

  /** A client message for an open session, to its endpoint. */
  handle(session: HostedSession, msg: JsonRpcMessage): void {
    const l = this.live.get(session.record.id);
    if (l?.session !== session) return;
    session.record.lastActivity = Date.now();
    l.endpoint.handle(session, msg);
  }

  /** Ends a session: the client closed it (forget = true), or it went idle (kept on disk to come back). */
  end(id: string, forget: boolean): void {
    const l = this.live.get(id);
    if (forget) this.options.store.delete(id);
    if (!l) return;
    this.live.delete(id);
    l.endpoint.close(l.session);
    l.session.terminate();
    this.onDidChangeSessionsEmitter.fire(l.session.record.endpoint);
  }

  /** Sessions grouped by endpoint name, for status. */
  byEndpoint(): Map<string, HostedSession[]> {
    const out = new Map<string, HostedSession[]>();
    for (const { session } of this.live.values()) {
      const list = out.get(session.record.endpoint) ?? [];
      list.push(session);
      out.set(session.record.endpoint, list);
    }
    return out;
  }

  /** Forgets an endpoint that went away (server removed): its sessions end and are not recreated. */
  forgetEndpoint(name: string): void {
    this.options.store.deleteEndpoint(name);
    // Its endpoint object is gone: stop listening to it (and holding it in memory).
    for (const [endpoint, entry] of this.endpointSubscriptions) {
      if (entry.name !== name || this.options.endpoint(name) === endpoint) continue;
      entry.subscription.dispose();
      this.endpointSubscriptions.delete(endpoint);
    }
  }

  /** Ends every session (they stay on disk for the next host) and writes the store; idempotent. */
  async close(): Promise<void> {
    clearInterval(this.reaper);
    for (const id of [...this.live.keys()]) this.end(id, false);
    for (const { subscription } of this.endpointSubscriptions.values()) subscription.dispose();
    this.endpointSubscriptions.clear();
    this.onDidChangeSessionsEmitter.dispose();
    await this.options.store.flush();
  }

  private async resurrect(record: SessionRecord, make: (record: SessionRecord) => HostedSession): Promise<HostedSession | undefined> {
    const endpoint = this.options.endpoint(record.endpoint);
    if (!endpoint) return undefined;
    this.checkCap();
    const session = make(record);
    record.lastActivity = Date.now();
    this.opening++;
    await endpoint.open(session).finally(() => this.opening--);
    this.add(session, endpoint);
    this.options.log(`session ${record.id.slice(0, 8)} of ${record.init.clientInfo?.name ?? 'a client'} resumed on ${record.endpoint || 'the aggregate'}`);
    return session;
  }

  private checkCap(): void {
    const open = this.live.size + this.opening;
    if (open >= this.options.maxSessions()) throw new SharedMcpError('TOO_MANY_SESSIONS', `too many open sessions (${open}; settings.maxSessions); close some clients or raise the limit`);
  }

  private add(session: HostedSession, endpoint: McpEndpoint): void {
    this.live.set(session.record.id, { session, endpoint });
    this.onDidChangeSessionsEmitter.fire(session.record.endpoint);
    if (!this.endpointSubscriptions.has(endpoint)) {
      this.endpointSubscriptions.set(endpoint, {
        name: session.record.endpoint,
        subscription: endpoint.onDidEndSession((s) => {
          const l = this.live.get(s.record.id);
          if (l?.endpoint !== endpoint) return;
          this.live.delete(s.record.id);
          l.session.terminate();
          this.onDidChangeSessionsEmitter.fire(s.record.endpoint);
        }),
      });
    }
  }

  private endpointOf(name: string): McpEndpoint {
    const endpoint = this.options.endpoint(name);
    if (!endpoint) throw new SharedMcpError('UNKNOWN_SERVER', name ? `unknown server: ${name}` : 'the aggregate endpoint is not available');
    return endpoint;
  }

  /**
   * Sessions idle for the timeout let go of their server (they can come back). A session with a request in flight
   * or a stream open is active now, so its idle time counts from when that ended.
   */
  private reap(): void {
    const now = Date.now();
    const cutoff = now - this.options.idleTimeoutMs();
    for (const [id, { session, endpoint }] of this.live) {
      if ((endpoint.stats(session)?.inFlight ?? 0) > 0 || session.hasOpenStream()) session.record.lastActivity = now;
      if (session.record.lastActivity > cutoff) continue;
      this.options.store.put(session.record);
      this.options.log(`session ${id.slice(0, 8)} of ${session.record.init.clientInfo?.name ?? 'a client'} idle: released`);
      this.end(id, false);
    }
  }
}
