import { setTimeout as sleep } from 'node:timers/promises';
import { detach } from '../shared/detach';
import { SharedMcpError, toSharedMcpError } from '../shared/errors';
import { DISCOVER_METHOD, parseClientLine, previewText, protocolVersionOf, responseIds, rpcIdKey, type RpcId } from './parseClientLine';
import { RelayStream } from './relayStream';
import { StreamableHttpClient, type McpHeaders, type McpTarget, type PostOutcome } from './streamableHttpClient';

/** Tries per message while the host cannot be reached; each try finds (or starts) the host again. */
export const DELIVERY_ATTEMPTS = 3;
const RETRY_DELAYS_MS = [0, 250, 1000];
/** At close: how long queued messages and requests in flight get before the session is ended. */
export const CLOSE_GRACE_MS = 2_000;
export const DELETE_TIMEOUT_MS = 2_000;

/** One line from the client (a message or a batch) on its way to the host, in the order it came. */
interface Outgoing {
  seq: number;
  body: string;
  /** The requests it carries that still wait for their response, by id key. */
  waiting: Map<string, RpcId>;
  what: string;
  /** The params of the client's initialize, when it is one. */
  initialize?: Record<string, unknown>;
  attempts: number;
  /** The session it went out with. */
  session?: string;
}

export interface McpRelayOptions {
  /** The host's endpoint: found or started (start = true; throws when impossible), or only found. */
  locate(start: boolean): Promise<McpTarget | undefined>;
  /** A message (or batch answer) for the client. */
  toClient(message: unknown): void;
  log(text: string): void;
}

/**
 * Relays one MCP client's messages to a host endpoint and everything the host sends back to the client, across host
 * restarts: the session id is kept (the host recreates a known session), messages the host never got are sent again
 * in order to the host found or started anew, and a request cut off after it was sent gets an error, never a resend.
 */
export class McpRelay {
  private readonly http: StreamableHttpClient;
  private readonly stream: RelayStream;
  private target: McpTarget | undefined;
  private hadTarget = false;
  private sessionId: string | undefined;
  private protocolVersion: string | undefined;
  private initParams: Record<string, unknown> | undefined;
  private sessionLost = false;
  private readonly queue: Outgoing[] = [];
  private readonly inFlight = new Set<Outgoing>();
  /** The item the pump holds between the queue and inFlight (while it finds the host). */
  private sending: Outgoing | undefined;
  private seq = 0;
  private pumping = false;
  private idleWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  private disposed = false;
  private probeLogged = false;

  constructor(private readonly options: McpRelayOptions) {
    this.http = new StreamableHttpClient((why, text) => options.log(`dropped a message from the host (${why}): ${previewText(text)}`));
    this.stream = new RelayStream({
      http: this.http,
      target: () => this.target,
      find: () => options.locate(false),
      onFound: (target) => this.use(target),
      onUnreachable: (target) => this.forget(target),
      onSessionGone: (id) => void (id === this.sessionId && (this.sessionLost = true)),
      onNoHost: () => options.log('no host is running; the next message from the client starts one'),
      onMessage: (v) => this.toClient(v),
    });
  }

  /** One line from the client; a line that is not a JSON-RPC message or batch is answered with an error and dropped. */
  accept(line: string): void {
    if (this.closing) return;
    const parsed = parseClientLine(line);
    if (!parsed.ok) {
      this.options.log(parsed.error.message);
      return this.toClient({ jsonrpc: '2.0', id: parsed.id, error: { code: parsed.error.jsonRpcCode, message: parsed.error.message } });
    }
    if (parsed.discover) return this.refuseDiscover(parsed.discover);
    // A cancelled request gets no answer (the spec says the server should not send one): stop waiting for it.
    const live = [...this.inFlight, ...this.queue, ...(this.sending ? [this.sending] : [])];
    for (const id of parsed.cancels) for (const item of live) item.waiting.delete(rpcIdKey(id));
    this.queue.push({ seq: ++this.seq, body: line, waiting: parsed.requests, what: parsed.what, initialize: parsed.initialize, attempts: 0 });
    this.pumpSoon();
  }

  /**
   * Answers a modern client's probe the way a legacy stdio server must, at once and without the host: "method not
   * found" makes it fall back to initialize. (Relayed, it would get the host's HTTP-shaped refusal of a request
   * without a session, which such a client may not read as "legacy".)
   */
  private refuseDiscover(probe: { id?: RpcId; version?: string }): void {
    if (!this.probeLogged) {
      this.probeLogged = true;
      this.options.log(`the client probed with ${DISCOVER_METHOD}${probe.version ? ` (protocol ${probe.version})` : ''}; answered "method not found", so it goes on with initialize`);
    }
    if (probe.id === undefined) return;
    const e = new SharedMcpError('NOT_FOUND', `Method not found: ${DISCOVER_METHOD} (this server speaks the protocol versions that begin with initialize)`);
    this.toClient({ jsonrpc: '2.0', id: probe.id, error: { code: e.jsonRpcCode, message: e.message } });
  }

  /** Lets queued messages and requests in flight finish (briefly), ends the session on the host, stops; idempotent. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        timer = setTimeout(resolve, CLOSE_GRACE_MS);
        this.idleWaiters.push(resolve);
        this.checkIdle();
      });
      clearTimeout(timer);
      this.disposed = true;
      this.stream.dispose();
      const session = this.sessionId;
      const target = session ? (this.target ?? (await this.options.locate(false).catch(() => undefined))) : undefined;
      if (session && target) await this.http.end(target, this.headers(), DELETE_TIMEOUT_MS);
      this.http.dispose();
    })();
    return this.closing;
  }

  /** pump() without waiting for it: it fails each message itself; anything it did not foresee is logged. */
  private pumpSoon(): void {
    detach(this.pump(), (err) => this.options.log(`relaying to the host failed: ${toSharedMcpError(err).message}`));
  }

  /** Sends the queue in order, each message once the one before has left; gives up on it while no host can be had. */
  private async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.queue.length > 0 && !this.disposed) {
        const item = this.queue.shift() as Outgoing;
        this.sending = item;
        let target: McpTarget;
        try {
          target = await this.connect();
        } catch (err) {
          // Nothing would deliver them for a while: every waiting request gets its error now instead of hanging.
          const e = toSharedMcpError(err);
          this.options.log(`cannot reach the host: ${e.message}`);
          for (const lost of [item, ...this.queue.splice(0)]) this.fail(lost, e);
          break;
        }
        if (this.sessionLost && !item.initialize) await this.reopenSession(target);
        item.attempts++;
        item.session = item.initialize ? undefined : this.sessionId;
        const call = this.http.post(target, item.body, item.initialize ? {} : this.headers(), (v) => this.fromHost(v, item));
        if (!(await call.sent)) {
          const o = await call.outcome;
          this.forget(target);
          if (item.attempts >= DELIVERY_ATTEMPTS) this.fail(item, new SharedMcpError('HOST_UNREACHABLE', `cannot reach the Shared MCP host: ${o.kind === 'unsent' ? o.reason : o.kind}`));
          else {
            this.insert(item);
            await sleep(RETRY_DELAYS_MS[item.attempts]);
          }
          continue;
        }
        this.inFlight.add(item);
        // One answer's trouble (settle throwing) is that message's alone: logged, never an unhandled rejection.
        const settled = call.outcome.then((o) => this.settle(item, target, o)).catch((err: unknown) => this.options.log(`handling the host's answer to ${item.what} failed: ${toSharedMcpError(err).message}`));
        // Its answer carries the session id every later message needs.
        if (item.initialize) await settled;
      }
    } finally {
      this.sending = undefined;
      this.pumping = false;
      this.checkIdle();
    }
  }

  private async connect(): Promise<McpTarget> {
    if (this.target) return this.target;
    const target = await this.options.locate(true);
    if (!target) throw new SharedMcpError('HOST_UNREACHABLE', 'no Shared MCP host could be found or started');
    this.use(target);
    return target;
  }

  private use(target: McpTarget): void {
    if (this.target === target) return;
    if (this.hadTarget) this.options.log(`connected to the host again at ${target.url.host}`);
    this.target = target;
    this.hadTarget = true;
    this.stream.hostFound();
  }

  private forget(target: McpTarget): void {
    if (this.target !== target) return;
    this.target = undefined;
    if (!this.closing) this.options.log(`lost the host at ${target.url.host}; it is looked for (or started) again`);
  }

  private settle(item: Outgoing, target: McpTarget, o: PostOutcome): void {
    this.inFlight.delete(item);
    if (o.kind === 'answered') {
      if (item.initialize) this.opened(item.initialize, o.sessionId, target);
      else if (!this.sessionLost && this.sessionId) this.stream.follow(this.headers());
      // The whole answer is in: a request it did not answer (its message was dropped) would otherwise wait forever.
      if (item.waiting.size > 0) this.fail(item, new SharedMcpError('SERVER_ERROR', 'no usable answer to this request came from the Shared MCP host (see the bridge\'s log)'));
    } else if (o.kind === 'broken' || o.kind === 'unsent') {
      this.forget(target);
      this.fail(item, new SharedMcpError('HOST_UNREACHABLE', `the connection to the Shared MCP host broke while this was in flight, so it may have run: ${o.reason}`));
    } else if (this.retryable(item, target, o)) {
      this.insert(item);
      this.pumpSoon();
    } else {
      this.fail(item, { code: o.code || -32603, message: o.message, ...(o.data === undefined ? {} : { data: o.data }) });
    }
    this.checkIdle();
  }

  /** A refusal that says the message never reached our host's session: another program on the port, an old token, a lost session. */
  private retryable(item: Outgoing, target: McpTarget, o: Extract<PostOutcome, { kind: 'refused' }>): boolean {
    if (item.attempts >= DELIVERY_ATTEMPTS || this.closing) return false;
    if (!o.fromHost || o.status === 401) {
      this.forget(target);
      return true;
    }
    if (o.sessionGone && item.session !== undefined) {
      if (item.session === this.sessionId) this.sessionLost = true;
      return true;
    }
    return false;
  }

  /** The client's initialize was answered: its session replaces any earlier one. */
  private opened(params: Record<string, unknown>, sessionId: string | undefined, target: McpTarget): void {
    if (!sessionId) return;
    const previous = this.sessionId;
    this.sessionId = sessionId;
    this.initParams = params;
    this.sessionLost = false;
    this.stream.pause();
    if (previous && previous !== sessionId) detach(this.http.end(target, { sessionId: previous }, DELETE_TIMEOUT_MS), (err) => this.options.log(`ending the old session failed: ${toSharedMcpError(err).message}`));
  }

  /** The host no longer knows the session (ended, or expired): open a new one with the client's own initialize. */
  private async reopenSession(target: McpTarget): Promise<void> {
    const lost = this.sessionId;
    this.sessionId = undefined;
    this.sessionLost = false;
    this.stream.pause();
    if (!this.initParams) return;
    let version: string | undefined;
    const init = JSON.stringify({ jsonrpc: '2.0', id: `shared-mcp-bridge-${this.seq}`, method: 'initialize', params: this.initParams });
    const o = await this.http.post(target, init, {}, (v) => (version = protocolVersionOf(v) ?? version)).outcome;
    if (o.kind !== 'answered' || !o.sessionId) {
      if (o.kind === 'unsent' || o.kind === 'broken') this.forget(target);
      this.sessionLost = true;
      this.options.log(`could not open a new session: ${o.kind === 'refused' ? o.message : o.kind === 'answered' ? 'no session id' : o.reason}`);
      return;
    }
    this.sessionId = o.sessionId;
    this.protocolVersion = version ?? this.protocolVersion;
    await this.http.post(target, JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }), this.headers(), () => undefined).outcome;
    this.options.log(`the host no longer knew session ${lost?.slice(0, 8)}; continuing in a new session ${o.sessionId.slice(0, 8)}`);
  }

  private fromHost(value: unknown, item: Outgoing): void {
    for (const id of responseIds(value)) item.waiting.delete(rpcIdKey(id));
    if (item.initialize) this.protocolVersion = protocolVersionOf(value) ?? this.protocolVersion;
    this.toClient(value);
  }

  private headers(): McpHeaders {
    return { sessionId: this.sessionId, protocolVersion: this.protocolVersion };
  }

  private insert(item: Outgoing): void {
    const at = this.queue.findIndex((q) => q.seq > item.seq);
    this.queue.splice(at < 0 ? this.queue.length : at, 0, item);
  }

  /** Every request the item still carries gets this error; anything else is only logged. */
  private fail(item: Outgoing, error: SharedMcpError | { code: number; message: string; data?: unknown }): void {
    const e = error instanceof SharedMcpError ? { code: error.jsonRpcCode, message: error.message } : error;
    if (item.waiting.size === 0) this.options.log(`${item.what} not delivered: ${e.message}`);
    for (const id of item.waiting.values()) this.toClient({ jsonrpc: '2.0', id, error: e });
    item.waiting.clear();
  }

  private toClient(value: unknown): void {
    if (!this.disposed) this.options.toClient(value);
  }

  private checkIdle(): void {
    if (this.pumping || this.queue.length > 0 || [...this.inFlight].some((i) => i.waiting.size > 0 || i.initialize)) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
