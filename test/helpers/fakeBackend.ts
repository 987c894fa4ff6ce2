// In-memory stand-ins for what a multiplexer talks to, for fast unit tests of its logic (the integration tests use
// real processes). Modelled on the SDK's InMemoryTransport.createLinkedPair(): the test plays the server on the
// other end of a FakeBackend, and the clients on the other end of FakeSessions.
import { Emitter } from '../../src/shared/emitter';
import { Inbox, type Backend } from '../../src/host/backends/backend';
import type { InitializeResult, JsonRpcId, JsonRpcMessage } from '../../src/host/backends/jsonRpc';
import { RpcChannel } from '../../src/host/backends/rpcChannel';
import type { ClientSession, SessionRecord } from '../../src/host/mux/clientSession';
import type { BackendSource } from '../../src/host/mux/mcpEndpoint';
import type { Timer, Timers } from '../../src/host/mux/timers';
import type { ServerLog } from '../../src/host/logs/serverLog';

/** Lets every queued microtask and immediate run: what the fakes send arrives after this. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** A backend whose server is the test: everything the host sends is recorded, and `serve` may answer it. */
export class FakeBackend implements Backend {
  readonly pid = null;
  readonly serverInfo = { name: 'fake', version: '1.0.0' };
  readonly initializeResult: InitializeResult;
  private readonly onDidExitEmitter = new Emitter<string>();
  readonly onDidExit = this.onDidExitEmitter.event;
  private readonly inbox = new Inbox();
  private readonly channel = new RpcChannel((m) => this.send(m));
  /** Every message the host sent, in order. */
  readonly received: JsonRpcMessage[] = [];
  /** The scripted server: called (a microtask later, as a real one would) with each message the host sent. */
  serve: ((msg: JsonRpcMessage) => void) | undefined;
  /** Makes send throw for the messages it returns an error for (PAYLOAD_TOO_LARGE, SERVER_BUSY, …). */
  failSend: ((msg: JsonRpcMessage) => Error | undefined) | undefined;
  closed = false;

  constructor(capabilities: Record<string, unknown> = { tools: {}, logging: {}, resources: { subscribe: true }, prompts: {} }) {
    this.initializeResult = { protocolVersion: '2025-11-25', capabilities, serverInfo: this.serverInfo };
  }

  attach(onMessage: (msg: JsonRpcMessage) => void, onOversized?: Parameters<Inbox['attach']>[1]): void {
    this.inbox.attach(onMessage, onOversized);
  }

  send(msg: JsonRpcMessage): void {
    const err = this.failSend?.(msg);
    if (err) throw err;
    if (this.closed) return;
    this.received.push(msg);
    const serve = this.serve;
    if (serve) queueMicrotask(() => serve(msg));
  }

  request(method: string, params: Record<string, unknown>, timeoutMs: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.channel.request(method, params, timeoutMs, signal);
  }

  async close(): Promise<void> {
    this.exit('closed');
  }

  /** A message from the server to the host. */
  emit(msg: JsonRpcMessage): void {
    if (!this.channel.handleResponse(msg)) this.inbox.push(msg);
  }

  answer(request: JsonRpcMessage, result: Record<string, unknown> = {}): void {
    this.emit({ jsonrpc: '2.0', id: request.id as JsonRpcId, result });
  }

  /** The requests the host sent, optionally of one method. */
  requests(method?: string): JsonRpcMessage[] {
    return this.received.filter((m) => m.id !== undefined && m.method !== undefined && (method === undefined || m.method === method));
  }

  /** The ids the host cancelled (notifications/cancelled). */
  cancelled(): unknown[] {
    return this.received.filter((m) => m.method === 'notifications/cancelled').map((m) => m.params?.requestId);
  }

  /** The process exits: what the host had in flight here fails. */
  exit(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.channel.close(new Error(`server exited: ${reason}`));
    this.onDidExitEmitter.fire(reason);
  }
}

/** A backend source the test switches by hand: set(b) is a (re)start, set(undefined) the backend going away. */
export class FakeSource implements BackendSource {
  private readonly onDidChangeEmitter = new Emitter<FakeBackend | undefined>();
  readonly onDidChange = this.onDidChangeEmitter.event;
  current: FakeBackend | undefined;
  sessionCount = 0;
  /** When set, ready() without a backend rejects with it (a server that is not starting). */
  unavailable: Error | undefined;

  constructor(backend?: FakeBackend) {
    this.current = backend;
  }

  set(backend: FakeBackend | undefined): void {
    this.current = backend;
    this.onDidChangeEmitter.fire(backend);
  }

  ready(): Promise<FakeBackend> {
    if (this.current) return Promise.resolve(this.current);
    if (this.unavailable) return Promise.reject(this.unavailable);
    return new Promise((resolve) => {
      const sub = this.onDidChange((b) => {
        if (b) (sub.dispose(), resolve(b));
      });
    });
  }

  sessionsChanged(count: number): void {
    this.sessionCount = count;
  }
}

/** A client session that records what the host delivers to it. */
export class FakeSession implements ClientSession {
  readonly record: SessionRecord;
  readonly received: Array<{ msg: JsonRpcMessage; related?: JsonRpcId }> = [];
  readonly cancelledIds: JsonRpcId[] = [];
  /** Makes deliver throw (a transport that cannot take the message). */
  failDeliver: ((msg: JsonRpcMessage) => boolean) | undefined;

  constructor(name: string, capabilities: Record<string, unknown> = {}) {
    const now = Date.now();
    this.record = { id: `session-${name}`, endpoint: 'fake', protocolVersion: '2025-11-25', init: { protocolVersion: '2025-11-25', capabilities, clientInfo: { name, version: '1' } }, createdAt: now, lastActivity: now };
  }

  deliver(msg: JsonRpcMessage, related?: JsonRpcId): void {
    if (this.failDeliver?.(msg)) throw new RangeError('Maximum call stack size exceeded');
    this.received.push({ msg, ...(related !== undefined ? { related } : {}) });
  }

  cancelled(clientId: JsonRpcId): void {
    this.cancelledIds.push(clientId);
  }

  /** The response to the request with this id, if it came. */
  response(id: JsonRpcId): JsonRpcMessage | undefined {
    return this.received.find((r) => r.msg.method === undefined && r.msg.id === id)?.msg;
  }

  notifications(method: string): Array<{ msg: JsonRpcMessage; related?: JsonRpcId }> {
    return this.received.filter((r) => r.msg.method === method);
  }
}

/** A clock the test moves: timers fire in order of their deadlines when advance() passes them. */
export class FakeTimers implements Timers {
  now = 0;
  private readonly pending = new Set<{ at: number; ms: number; fire: () => void }>();

  start(ms: number, onExpiry: () => void): Timer {
    const t = { at: this.now + ms, ms, fire: onExpiry };
    this.pending.add(t);
    return {
      refresh: () => {
        if (this.pending.has(t)) t.at = this.now + t.ms;
      },
      cancel: () => void this.pending.delete(t),
    };
  }

  advance(ms: number): void {
    const until = this.now + ms;
    for (;;) {
      const due = [...this.pending].filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.pending.delete(due);
      this.now = due.at;
      due.fire();
    }
    this.now = until;
  }

  get size(): number {
    return this.pending.size;
  }
}

/** A ServerLog that keeps its lines in memory. */
export function memoryLog(): ServerLog & { lines: string[] } {
  const lines: string[] = [];
  return { lines, line: (_stream: string, text: string) => void lines.push(text) } as unknown as ServerLog & { lines: string[] };
}
