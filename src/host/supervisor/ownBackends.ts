import { detach } from '../../shared/detach';
import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import { Emitter } from '../../shared/emitter';
import type { Backend } from '../backends/backend';
import type { InitializeParams } from '../backends/jsonRpc';
import type { ServerLog } from '../logs/serverLog';

export interface OwnBackendsDeps {
  /** The server's name, for errors. */
  name: string;
  /** Opens one session's backend with the server's definition as it is now; `onNeedsAuth` is the remote's refusal after initialize. */
  open(init: InitializeParams, signal: AbortSignal, onNeedsAuth: () => void): Promise<Backend>;
  graceMs(): number;
  /** The backend's process is gone: it is no longer recorded for orphan cleanup. */
  forget(pid: number): void;
  log: ServerLog;
}

/**
 * The backends of a per-session server's sessions, each opened with its own client's initialize. They are opened
 * and closed here, so the supervisor owns every process of its server: dispose waits for every open and close
 * under way, and no session's process outlives its server. When the config or a secret changes what a process
 * gets, `outdate` tells each session to let go of its backend (onDidRequireRestart: it opens a new one with its
 * next message) and makes every open under way again with the new values, so whoever waits for it waits on.
 */
export class OwnBackends {
  private readonly onDidRequireRestartEmitter = new Emitter<string>();
  /** The config or a secret changed what a session's process gets (the reason): each session lets go of its backend. */
  readonly onDidRequireRestart = this.onDidRequireRestartEmitter.event;
  private readonly work = new Set<Promise<unknown>>();
  private stale = new AbortController();
  private disposed = false;

  constructor(private readonly deps: OwnBackendsDeps) {}

  /** A new backend for one session; rejects at once after dispose, and when `signal` aborts while it starts. */
  open(init: InitializeParams, signal: AbortSignal): Promise<Backend> {
    if (this.disposed) return Promise.reject(removed(this.deps.name));
    return this.track(this.openCurrent(init, signal));
  }

  /** Stops a session's backend (its whole process tree); never rejects (a failure is logged). */
  close(backend: Backend): Promise<void> {
    return this.track(
      backend.close(this.deps.graceMs()).then(
        () => {
          if (backend.pid !== null) this.deps.forget(backend.pid);
        },
        (err: unknown) => this.deps.log.line('host', `stopping a session's own process ${backend.pid ?? ''} failed: ${toSharedMcpError(err).message}`),
      ),
    );
  }

  /** What the processes get changed: sessions let go of theirs, and opens under way start over with the new values. */
  outdate(reason: string): void {
    this.stale.abort();
    this.stale = new AbortController();
    this.onDidRequireRestartEmitter.fire(reason);
  }

  /** Refuses new opens; resolves when every open and close under way has settled. Idempotent. */
  async dispose(): Promise<void> {
    this.disposed = true;
    while (this.work.size > 0) await Promise.allSettled(this.work);
    this.onDidRequireRestartEmitter.dispose();
  }

  /** Opens; an open that `outdate` overtook is made again (with the definition as it is then), until one is current. */
  private async openCurrent(init: InitializeParams, signal: AbortSignal): Promise<Backend> {
    for (;;) {
      if (this.disposed) throw removed(this.deps.name);
      const stale = this.stale.signal;
      const either = anyOf(signal, stale);
      let opened: Backend | undefined;
      try {
        // The session has its answer (sign-in needed); its connection is of no more use.
        opened = await this.deps.open(init, either.signal, () => opened && this.retire(opened));
      } catch (err) {
        if (stale.aborted && !signal.aborted && !this.disposed) continue;
        throw err;
      } finally {
        either.dispose();
      }
      if (stale.aborted || signal.aborted || this.disposed) {
        // Ready just as it was overtaken: it was made with the old values, or nobody wants it any more.
        await this.close(opened);
        if (!signal.aborted && !this.disposed) continue;
        throw new SharedMcpError('SERVER_EXITED', 'stopped while starting');
      }
      return this.adopt(opened);
    }
  }

  private adopt(backend: Backend): Backend {
    backend.onDidExit((reason) => {
      this.deps.log.line('host', `a session's own ${backend.pid !== null ? `process ${backend.pid}` : 'connection'} ${reason}`);
      // Its group may hold grandchildren that outlived it: stop them before forgetting the pid.
      this.retire(backend);
    });
    return backend;
  }

  /** close() without waiting for it (it never rejects; detach only keeps a surprise from floating). */
  private retire(backend: Backend): void {
    detach(this.close(backend), (err) => this.deps.log.line('host', `stopping a session's own process failed: ${toSharedMcpError(err).message}`));
  }

  /** Remembered until it settles, so dispose waits for it. */
  private track<T>(work: Promise<T>): Promise<T> {
    const forget = (): void => void this.work.delete(settled);
    const settled: Promise<void> = work.then(forget, forget);
    this.work.add(settled);
    return work;
  }
}

function removed(name: string): SharedMcpError {
  return new SharedMcpError('SERVER_UNAVAILABLE', `server "${name}" was removed or reconfigured`);
}

/** A signal that aborts when either does (AbortSignal.any is missing before Node 20.3); dispose removes the listeners. */
function anyOf(a: AbortSignal, b: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const both = new AbortController();
  const abort = (): void => both.abort();
  if (a.aborted || b.aborted) both.abort();
  a.addEventListener('abort', abort, { once: true });
  b.addEventListener('abort', abort, { once: true });
  return {
    signal: both.signal,
    dispose: () => {
      a.removeEventListener('abort', abort);
      b.removeEventListener('abort', abort);
    },
  };
}
