import { detach } from '../shared/detach';
import type { McpHeaders, McpTarget, StreamableHttpClient } from './streamableHttpClient';

/** The reconnect delay of the GET stream: from the first, doubling up to the last. */
export const STREAM_RETRY_FIRST_MS = 250;
export const STREAM_RETRY_MAX_MS = 5_000;

export interface RelayStreamOptions {
  http: StreamableHttpClient;
  /** The host known now, if any. */
  target(): McpTarget | undefined;
  /** Looks for the host without starting one. */
  find(): Promise<McpTarget | undefined>;
  /** find() found a host while none was known. */
  onFound(target: McpTarget): void;
  onUnreachable(target: McpTarget): void;
  /** The host does not know the session it was asked about. */
  onSessionGone(sessionId: string): void;
  /** Looking for the host found none (once until one is found again): nothing is started until the client sends. */
  onNoHost(): void;
  onMessage(value: unknown): void;
}

/**
 * The GET stream of one session, which carries what belongs to no request (list changes, the server's own requests).
 * Reopened with backoff after it ends, at the host found again. It only looks for a host, never starts one: starting
 * is left to the next message, so a deliberate `shared-mcp down --host` stays down.
 */
export class RelayStream {
  private session: McpHeaders | undefined;
  private stream: { dispose(): void } | undefined;
  private timer: NodeJS.Timeout | undefined;
  private delayMs = STREAM_RETRY_FIRST_MS;
  private disposed = false;
  private missing = false;

  constructor(private readonly options: RelayStreamOptions) {}

  /** Listens for this session, now or once a host is known; another session's stream is dropped. */
  follow(session: McpHeaders): void {
    if (this.disposed) return;
    if (this.session?.sessionId !== session.sessionId) this.pause();
    this.session = session;
    this.open();
  }

  /** Stops listening until follow() names a session again. */
  pause(): void {
    this.session = undefined;
    this.drop();
  }

  /** A host became known: open at once rather than at the next retry. */
  hostFound(): void {
    if (this.stream || !this.session) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.open();
  }

  dispose(): void {
    this.disposed = true;
    this.pause();
  }

  private open(): void {
    const session = this.session;
    if (this.stream || this.timer || !session?.sessionId || this.disposed) return;
    const target = this.options.target();
    if (!target) return this.retry();
    this.stream = this.options.http.listen(target, session, {
      onOpen: () => (this.delayMs = STREAM_RETRY_FIRST_MS),
      onMessage: (v) => this.options.onMessage(v),
      onEnd: (end) => {
        this.stream = undefined;
        if (this.session?.sessionId !== session.sessionId) return;
        if (end.kind === 'unreachable') this.options.onUnreachable(target);
        if (end.kind === 'refused') {
          if (end.sessionGone) this.options.onSessionGone(session.sessionId as string);
          // A lost session comes back with the next message; a removed server or a host without GET streams: nothing to wait for.
          if (end.status === 404 || end.status === 405) return void (this.session = undefined);
          if (!end.fromHost || end.status === 401) this.options.onUnreachable(target);
        }
        this.retry();
      },
    });
  }

  private retry(): void {
    if (this.timer || this.disposed) return;
    const delay = this.delayMs;
    this.delayMs = Math.min(delay * 2, STREAM_RETRY_MAX_MS);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      // A search that fails for a reason it did not foresee simply tries again later.
      detach(this.search(), () => this.retry());
    }, delay);
  }

  private async search(): Promise<void> {
    const known = this.options.target();
    const found = known ?? (await this.options.find().catch(() => undefined));
    if (this.disposed || this.stream || !this.session) return;
    if (!found) {
      if (!this.missing) this.options.onNoHost();
      this.missing = true;
      return this.retry();
    }
    this.missing = false;
    // onFound makes it the known target and calls hostFound(), which opens the stream.
    if (!this.options.target()) this.options.onFound(found);
    this.open();
  }

  private drop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.stream?.dispose();
    this.stream = undefined;
  }
}
