import type { ToolSummary } from './listCache';
import { Emitter, type Disposable, type Event } from '../../shared/emitter';
import type { Backend } from '../backends/backend';
import type { InitializeParams, InitializeResult, JsonRpcMessage } from '../backends/jsonRpc';
import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import type { ClientSession } from './clientSession';
import type { BackendSource, McpEndpoint } from './mcpEndpoint';
import { Multiplexer, type MuxOptions } from './multiplexer';
import type { SessionStats } from './sessionStats';

export interface PerSessionOptions extends Omit<MuxOptions, 'passthroughInit'> {
  /** Starts a backend of the session's own, initialized with the client's own params. */
  openBackend(init: InitializeParams, signal: AbortSignal): Promise<Backend>;
  closeBackend(backend: Backend): Promise<void>;
  /** Stop a session's backend after this long without a message (it starts again on the next one). */
  idleTimeoutMs(): number | undefined;
  /** The config or a secret changed what a session's process gets: every session lets go of its own (the reason). */
  onDidRequireRestart: Event<string>;
}

/** One backend that belongs to one session: opened on demand with the client's initialize, closed when the session ends or idles. */
class OwnBackend implements BackendSource {
  private readonly onDidChangeEmitter = new Emitter<Backend | undefined>();
  readonly onDidChange = this.onDidChangeEmitter.event;
  current: Backend | undefined;
  private opening: Promise<Backend> | undefined;
  private abort = new AbortController();
  private idleTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly init: InitializeParams,
    private readonly options: PerSessionOptions,
    private readonly busy: () => boolean,
  ) {}

  ready(): Promise<Backend> {
    if (this.current) return Promise.resolve(this.current);
    this.opening ??= this.options.openBackend(this.init, this.abort.signal).then(
      (b) => {
        this.opening = undefined;
        this.current = b;
        b.onDidExit(() => this.gone(b));
        this.onDidChangeEmitter.fire(b);
        return b;
      },
      (err: unknown) => {
        this.opening = undefined;
        throw err;
      },
    );
    return this.opening;
  }

  sessionsChanged(count: number): void {
    if (count === 0) this.close();
  }

  /** Whether the session has a backend now; a restart lets go of it, and its next message opens a new one. */
  restart(): boolean {
    const had = this.current !== undefined;
    this.stopCurrent();
    return had;
  }

  /** A message came: the idle countdown starts again. */
  touch(): void {
    const idleMs = this.options.idleTimeoutMs();
    if (this.idleTimer) clearTimeout(this.idleTimer);
    if (!idleMs) return;
    this.idleTimer = setTimeout(() => {
      if (this.busy()) return this.touch();
      this.stopCurrent();
    }, idleMs);
    this.idleTimer.unref();
  }

  close(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.abort.abort();
    this.abort = new AbortController();
    this.stopCurrent();
  }

  private stopCurrent(): void {
    const b = this.current;
    if (!b) return;
    this.gone(b);
    this.options.closeBackend(b).catch((err: unknown) => this.options.log.line('host', `a session's own process ${b.pid ?? ''} did not stop cleanly: ${toSharedMcpError(err).message}`));
  }

  private gone(b: Backend): void {
    if (this.current !== b) return;
    this.current = undefined;
    this.onDidChangeEmitter.fire(undefined);
  }
}

/** One session's mux and the backend of its own. */
interface Own {
  mux: Multiplexer;
  source: OwnBackend;
}

/** `sharing: "per-session"`: every session gets its own backend and its own mux; initialize passes through. */
export class PerSessionEndpoint implements McpEndpoint {
  private readonly onDidEndSessionEmitter = new Emitter<ClientSession>();
  readonly onDidEndSession = this.onDidEndSessionEmitter.event;
  private readonly muxes = new Map<ClientSession, Own>();
  /** Sessions whose initialize is still opening their backend: dispose aborts them. */
  private readonly opening = new Set<Own>();
  private readonly subscription: Disposable;
  private disposed = false;

  constructor(private readonly options: PerSessionOptions) {
    this.subscription = options.onDidRequireRestart((reason) => this.restartAll(reason));
  }

  async open(session: ClientSession): Promise<InitializeResult> {
    if (this.disposed) throw this.removed();
    const source: OwnBackend = new OwnBackend(session.record.init, this.options, () => (mux.stats(session)?.inFlight ?? 0) > 0);
    const mux = new Multiplexer(source, { ...this.options, passthroughInit: true });
    const own = { mux, source };
    this.opening.add(own);
    try {
      const result = await mux.open(session);
      // Removed meanwhile: no process may stay for a server that is gone.
      if (this.disposed) throw this.removed();
      this.muxes.set(session, own);
      source.touch();
      return result;
    } catch (err) {
      source.close();
      mux.dispose();
      throw this.disposed ? this.removed() : err;
    } finally {
      this.opening.delete(own);
    }
  }

  handle(session: ClientSession, msg: JsonRpcMessage): void {
    const entry = this.muxes.get(session);
    entry?.source.touch();
    entry?.mux.handle(session, msg);
  }

  close(session: ClientSession): void {
    const entry = this.muxes.get(session);
    if (!entry) return;
    this.muxes.delete(session);
    entry.mux.close(session);
    entry.mux.dispose();
  }

  stats(session: ClientSession): SessionStats | undefined {
    return this.muxes.get(session)?.mux.stats(session);
  }

  /** The session's own process, for status. */
  pidOf(session: ClientSession): number | null {
    return this.muxes.get(session)?.source.current?.pid ?? null;
  }

  toolCount(): number | null {
    return this.tools()?.length ?? null;
  }

  /** Each session has its own process; any of them tells what the server offers. */
  tools(): ToolSummary[] | null {
    for (const { mux } of this.muxes.values()) {
      const tools = mux.tools();
      if (tools !== null) return tools;
    }
    return null;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.subscription.dispose();
    // Their open is aborted (the process stops while it starts); open() then answers that the server is gone.
    for (const own of [...this.opening]) {
      own.source.close();
      own.mux.dispose();
    }
    for (const [session, entry] of [...this.muxes]) {
      this.muxes.delete(session);
      entry.mux.dispose(); // answers what was in flight, then stops the session's process
      this.onDidEndSessionEmitter.fire(session);
    }
    this.onDidEndSessionEmitter.dispose();
  }

  /** Every session lets go of its process; the next message of each opens one with the new config or secret. */
  private restartAll(reason: string): void {
    const restarted = [...this.muxes.values()].filter((own) => own.source.restart()).length;
    if (restarted > 0) this.options.log.line('host', `${reason}: ${restarted} session${restarted > 1 ? 's' : ''}' own process${restarted > 1 ? 'es' : ''} stopped; each starts again with its session's next message`);
  }

  private removed(): SharedMcpError {
    return new SharedMcpError('SERVER_UNAVAILABLE', `server "${this.options.name}" was removed or reconfigured`);
  }
}
