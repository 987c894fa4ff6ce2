import { detach } from '../shared/detach';
import { Emitter, type Disposable } from '../shared/emitter';
import { toSharedMcpError } from '../shared/errors';
import type { HostStatus } from '../shared/controlTypes';
import { findHost } from '../shared/healthCheck';
import type { HostRegistry } from '../shared/registry';
import { ControlClient } from './controlClient';

/** How soon a burst of host events becomes one status read. */
export const STATUS_DEBOUNCE_MS = 50;
/** Reconnect attempts while no host answers: from the first delay, doubling up to the last. */
export const RECONNECT_FIRST_MS = 500;
export const RECONNECT_MAX_MS = 5_000;

export type HostPhase = 'starting' | 'connected' | 'unreachable';

/** What a UI shows of the host: where the connection stands, and the last status read. */
export interface HostSnapshot {
  phase: HostPhase;
  status?: HostStatus;
  /** Why the host is unreachable (or failed to start). */
  error?: string;
}

export interface HostConnectionOptions {
  home: string;
  /** Starts the host when none runs (ensureHost); without it the connection only finds a running one. */
  start?: () => Promise<HostRegistry>;
}

/**
 * A live view of the machine's host for UIs: finds (or starts) it, reads its status, follows its event stream and
 * reads the status again after each burst of events, and finds a host again after it went away (restarted
 * elsewhere, or started later). No polling while connected.
 */
export class HostConnection implements Disposable {
  private readonly onDidChangeEmitter = new Emitter<HostSnapshot>();
  /** Every new snapshot: phase changes and fresh status. */
  readonly onDidChange = this.onDidChangeEmitter.event;
  private current: HostSnapshot = { phase: 'starting' };
  private control: ControlClient | undefined;
  private events: Disposable | undefined;
  private refreshTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryMs = RECONNECT_FIRST_MS;
  private connecting: { promise: Promise<void>; starts: boolean } | undefined;
  /** Status reads overlap (events, actions): only a newer answer may replace what is shown. */
  private statusSeq = 0;
  private appliedSeq = 0;
  private disposed = false;

  constructor(private readonly options: HostConnectionOptions) {}

  get snapshot(): HostSnapshot {
    return this.current;
  }

  /** The control client of the connected host; undefined while there is none. */
  get client(): ControlClient | undefined {
    return this.control;
  }

  /** Connects (starting the host when allowed and asked); resolves once connected or known unreachable. */
  connect(start = true): Promise<void> {
    const pending = this.connecting;
    if (pending && (!start || pending.starts)) return pending.promise;
    // A quiet retry is under way and the caller wants a host started: start one once that retry found none.
    const run = pending ? pending.promise.then(() => (this.current.phase === 'connected' ? undefined : this.doConnect(true))) : this.doConnect(start);
    const entry = { promise: run, starts: start };
    this.connecting = entry;
    // doConnect records every failure in the snapshot; one it did not foresee is recorded the same way.
    detach(
      run.finally(() => {
        if (this.connecting === entry) this.connecting = undefined;
      }),
      (err) => this.lost(err),
    );
    return run;
  }

  /** Reads the status now (after an action); quietly does nothing while disconnected. */
  async refresh(): Promise<void> {
    const control = this.control;
    if (!control) return;
    const seq = ++this.statusSeq;
    try {
      const status = await control.status();
      if (this.control !== control || seq < this.appliedSeq) return;
      this.appliedSeq = seq;
      this.set({ phase: 'connected', status });
    } catch (err) {
      if (this.control === control) this.lost(err);
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.drop();
    clearTimeout(this.retryTimer);
    this.onDidChangeEmitter.dispose();
  }

  private async doConnect(start: boolean): Promise<void> {
    if (this.disposed) return;
    clearTimeout(this.retryTimer);
    try {
      const registry = (await findHost(this.options.home)) ?? (start && this.options.start ? await this.options.start() : undefined);
      if (this.disposed) return;
      if (!registry) return this.lost(undefined, 'no gateway host is running');
      this.attach(new ControlClient(registry));
      await this.refresh();
      if (this.current.phase === 'connected') this.retryMs = RECONNECT_FIRST_MS;
    } catch (err) {
      this.lost(err);
    }
  }

  private attach(control: ControlClient): void {
    this.drop();
    clearTimeout(this.retryTimer);
    this.control = control;
    this.events = control.events(
      () => this.scheduleRefresh(),
      (err) => {
        if (this.control === control) this.lost(err, 'the gateway host went away');
      },
    );
  }

  private scheduleRefresh(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      detach(this.refresh(), (err) => this.lost(err));
    }, STATUS_DEBOUNCE_MS);
  }

  /** The host is gone or never came: say so, then look for one again, less and less often. */
  private lost(err: unknown, fallback = 'the gateway host is unreachable'): void {
    this.drop();
    if (this.disposed) return;
    this.set({ phase: 'unreachable', error: err === undefined ? fallback : toSharedMcpError(err).message });
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => detach(this.connect(false), (e) => this.lost(e)), this.retryMs);
    this.retryTimer.unref?.();
    this.retryMs = Math.min(this.retryMs * 2, RECONNECT_MAX_MS);
  }

  private drop(): void {
    this.events?.dispose();
    this.events = undefined;
    this.control = undefined;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  private set(snapshot: HostSnapshot): void {
    this.current = snapshot;
    if (!this.disposed) this.onDidChangeEmitter.fire(snapshot);
  }
}
