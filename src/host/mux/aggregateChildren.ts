import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import type { IdAllocator } from '../backends/idAllocator';
import type { JsonRpcId, JsonRpcMessage } from '../backends/jsonRpc';
import { ChildSession } from './aggregateChild';
import type { Asked } from './aggregateLists';
import type { ClientSession } from './clientSession';
import type { McpEndpoint } from './mcpEndpoint';
import { timeoutText, type Timers } from './timers';

/** One client request to /mcp: the children's requests made for it end with it. */
export interface RequestContext {
  readonly clientId: JsonRpcId;
  cancelled: boolean;
}

interface Pending {
  child: ChildSession;
  ctx?: RequestContext;
  /** Called with undefined when nobody waits for the answer any more (cancelled, skipped, the session ended). */
  resolve(msg: JsonRpcMessage | undefined): void;
}

export interface ChildSetOptions {
  session: ClientSession;
  endpointOf(server: string): McpEndpoint | undefined;
  ids: IdAllocator<'aggregate'>;
  timers: Timers;
  log(message: string): void;
  /** A child's message that is not an answer to the aggregate: with the client request it belongs to, if known. */
  onMessage(child: ChildSession, msg: JsonRpcMessage, clientId?: JsonRpcId): void;
}

/**
 * One /mcp session's child sessions, one per server (each a client of that server's mux), and the requests the
 * aggregate sent them: every one settles, by its answer, a cancel of the client request it was made for, its
 * bounded wait (then it is cancelled at the server), or the session's end.
 */
export class ChildSet {
  /** The client's log level, for children opened later. */
  level: string | undefined;
  private readonly children = new Map<string, { endpoint: McpEndpoint; child: Promise<ChildSession> }>();
  private readonly pending = new Map<string, Pending>();
  private closed = false;

  constructor(private readonly options: ChildSetOptions) {}

  /** The servers with a child session (opened or opening). */
  servers(): string[] {
    return [...this.children.keys()];
  }

  /** The child session with this server, opened on first use; a reloaded server (a new endpoint) gets a new one. */
  child(server: string): Promise<ChildSession> {
    // A request that outlived its session must not open (and so keep running) servers for nobody.
    if (this.closed) return Promise.reject(new SharedMcpError('SESSION_NOT_FOUND', 'the session ended'));
    const endpoint = this.options.endpointOf(server);
    if (!endpoint) return Promise.reject(new SharedMcpError('UNKNOWN_SERVER', `unknown server: ${server}`));
    const known = this.children.get(server);
    if (known?.endpoint === endpoint) return known.child;
    const c = new ChildSession(this.options.session, server, endpoint, (ch, m, related) => this.fromChild(ch, m, related));
    const child = endpoint.open(c).then((result) => {
      c.capabilities = result.capabilities;
      if (this.level && result.capabilities.logging) this.toChild(c, { jsonrpc: '2.0', id: this.options.ids.next(), method: 'logging/setLevel', params: { level: this.level } });
      return c;
    });
    child.catch(() => this.children.get(server)?.child === child && this.children.delete(server));
    this.children.set(server, { endpoint, child });
    return child;
  }

  /**
   * Sends a request to one server's mux and waits for the answer: undefined when nobody waits any more (the
   * client cancelled, the session ended); with waitMs, 'skipped' past it (and cancelled at the server).
   */
  async ask(server: string, method: string, params: Record<string, unknown>, ctx?: RequestContext, waitMs?: number): Promise<Asked> {
    const child = await this.child(server);
    if (ctx?.cancelled || this.closed) return undefined;
    const id = this.options.ids.next();
    let skipped = false;
    const answer = await new Promise<JsonRpcMessage | undefined>((resolve) => {
      const timer =
        waitMs === undefined
          ? undefined
          : this.options.timers.start(waitMs, () => {
              if (!this.pending.has(id)) return;
              skipped = true;
              this.options.log(`${server}: ${method} got no answer within ${timeoutText(waitMs)}: skipped in the aggregate's list, and cancelled at the server`);
              this.cancel(id, `no answer within ${timeoutText(waitMs)} for the aggregate's list`);
            });
      this.pending.set(id, { child, ...(ctx ? { ctx } : {}), resolve: (m) => (timer?.cancel(), resolve(m)) });
      this.toChild(child, { jsonrpc: '2.0', id, method, params });
    });
    return skipped && !ctx?.cancelled ? 'skipped' : answer;
  }

  /** The client cancelled a request: every child request made for it is cancelled at its server. */
  cancelFor(ctx: RequestContext, reason: string): void {
    for (const [id, p] of [...this.pending]) if (p.ctx === ctx) this.cancel(id, reason);
  }

  /** A client's answer to a server's request, to that server's child session. */
  sendTo(server: string, msg: JsonRpcMessage): void {
    const known = this.children.get(server);
    if (!known) return;
    void known.child.then(
      (c) => this.toChild(c, msg),
      () => undefined,
    );
  }

  /** The session ended: what waited ends here, and closing the children cancels their requests at the servers. */
  close(): void {
    this.closed = true;
    for (const p of [...this.pending.values()]) p.resolve(undefined);
    this.pending.clear();
    for (const { endpoint, child } of this.children.values()) void child.then((c) => this.closeChild(endpoint, c), () => undefined);
  }

  /** Nobody waits for the child's answer any more: its server hears so (through its mux, under the id it saw). */
  private cancel(id: string, reason: string): void {
    const p = this.pending.get(id);
    if (!p) return;
    this.pending.delete(id);
    this.toChild(p.child, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason } });
    p.resolve(undefined);
  }

  private fromChild(child: ChildSession, msg: JsonRpcMessage, related?: JsonRpcId): void {
    try {
      if (msg.method === undefined) {
        const p = this.pending.get(String(msg.id));
        this.pending.delete(String(msg.id));
        return p?.resolve(msg);
      }
      this.options.onMessage(child, msg, related !== undefined ? this.pending.get(String(related))?.ctx?.clientId : undefined);
    } catch (err) {
      this.options.log(`aggregate: a message from ${child.server} could not be handled: ${toSharedMcpError(err).message}`);
    }
  }

  private toChild(child: ChildSession, msg: JsonRpcMessage): void {
    try {
      child.endpoint.handle(child, msg);
    } catch (err) {
      this.options.log(`aggregate: a message to ${child.server} could not be handled: ${toSharedMcpError(err).message}`);
    }
  }

  private closeChild(endpoint: McpEndpoint, child: ChildSession): void {
    try {
      endpoint.close(child);
    } catch (err) {
      this.options.log(`aggregate: closing the session with ${child.server} failed: ${toSharedMcpError(err).message}`);
    }
  }
}
