import { detach } from '../../shared/detach';
import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import { systemClock, type Clock } from '../../shared/clock';
import { Emitter } from '../../shared/emitter';
import type { ServerDefinition } from '../../shared/config/configTypes';
import type { ServerState } from '../../shared/controlTypes';
import { formatTimeout } from '../../shared/units';
import type { Backend, ServerInfo } from '../backends/backend';
import { openBackend } from '../backends/openBackend';
import { processTree, readProcessTable, type ProcessInfo } from './processTable';
import { IdleTimer } from './idleTimer';
import { CRASH_WINDOW_MS } from './restartPolicy';
import { RestartSchedule } from './restartSchedule';
import { missingSecrets, missingSecretsMessage } from './serverEnv';
import { StopGate } from './stopGate';
import { openOptions, type OpenRequest, type SupervisorDeps } from './supervisorDeps';
import { SupervisorState } from './supervisorState';
import { openFailure } from './openFailure';

const REASON_STDERR_LINES = 5;

/**
 * The lifecycle half of a server's supervisor: its state, its one backend (open, adopt, exit, crash and the restart
 * schedule, settle in a state that waits for the user, rest). ServerSupervisor adds what is asked of it: start, stop,
 * restart, a changed definition or secret, the memory limit, and per-session backends. A generation counter makes
 * late callbacks of a replaced backend harmless.
 */
export abstract class SupervisorCore {
  protected readonly status: SupervisorState;
  readonly onDidChangeState: SupervisorState['onDidChange'];
  protected readonly onDidChangeBackendEmitter = new Emitter<Backend | undefined>();
  /** Fires with the new backend once it is ready, and with undefined the moment it is gone (exit, stop, restart). */
  readonly onDidChangeBackend = this.onDidChangeBackendEmitter.event;
  protected backend: Backend | undefined;
  protected generation = 0;
  protected launching: Promise<void> | undefined;
  protected readonly gate = new StopGate();
  protected abortLaunch: AbortController | undefined;
  protected readonly clock: Clock;
  protected readonly idle: IdleTimer;
  protected readonly schedule: RestartSchedule;
  protected startedAt: number | undefined;
  protected disposed = false;
  /** A remote refused its credentials while its start was completing (before it became the backend). */
  protected refusedWhileStarting: { gen: number; reason: string } | undefined;
  serverInfo: ServerInfo | null = null;

  constructor(
    protected definition: ServerDefinition,
    protected readonly deps: SupervisorDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.idle = new IdleTimer((idleMs) => {
      this.deps.log.line('host', `no session for ${formatTimeout(idleMs)}: stopping until the next request`);
      this.stop('idle').catch((err: unknown) => this.note('the idle stop', err));
    }, this.clock);
    this.status = new SupervisorState(definition.name, this.restingState(), deps.redact);
    this.onDidChangeState = this.status.onDidChange;
    if (this.current === 'needs-secret') this.status.setError(missingSecretsMessage(this.missingSecrets()));
    this.schedule = new RestartSchedule(definition, this.clock);
  }

  get name(): string {
    return this.definition.name;
  }
  get def(): ServerDefinition {
    return this.definition;
  }
  get state(): ServerState {
    return this.status.state;
  }
  /** Why the server is not running (or last stopped running), redacted; null when nothing went wrong. */
  get lastError(): string | null {
    return this.status.lastError;
  }
  protected get current(): ServerState {
    return this.status.state;
  }
  get pid(): number | null {
    return this.backend?.pid ?? null;
  }
  /** The ready backend, when running. */
  get activeBackend(): Backend | undefined {
    return this.backend;
  }
  /** Restarts after crashes since the host started or the last manual start. */
  get restarts(): number {
    return this.schedule.restarts;
  }
  get startTime(): number | undefined {
    return this.current === 'running' ? this.startedAt : undefined;
  }

  /** Stops the server and its whole process tree (the idle stop asks for it too). */
  abstract stop(next?: ServerState): Promise<void>;

  /** Each sample of the process tree (adopt takes a first look at once). */
  abstract observeTree(tree: ProcessInfo[], table: Map<number, ProcessInfo>): void;

  /** Starts now (nothing of an old process is left); checked first: nothing is spawned (or flickers through starting) without its secrets. */
  protected begin(manual: boolean): Promise<void> {
    if (manual) {
      this.schedule.reset();
      this.setError(null);
    }
    this.clearTimers();
    const missing = this.missingSecrets();
    if (missing.length > 0) {
      this.settle('needs-secret', missingSecretsMessage(missing));
      return Promise.resolve();
    }
    return this.launch();
  }

  /** The secrets this server refers to that the host lacks. */
  missingSecrets(): string[] {
    return missingSecrets(this.definition, this.deps.secrets);
  }


  protected launch(): Promise<void> {
    const p = this.open().finally(() => {
      if (this.launching === p) this.launching = undefined;
    });
    this.launching = p;
    return p;
  }

  protected async open(): Promise<void> {
    const gen = ++this.generation;
    const abort = new AbortController();
    this.abortLaunch = abort;
    this.setState('starting', null);
    let backend: Backend;
    try {
      backend = await this.openNow({ signal: abort.signal, init: this.deps.initParams(), recordOf: () => this.name, onNeedsAuth: (reason) => this.needsAuth(gen, reason) });
    } catch (err) {
      if (gen !== this.generation) return;
      const failure = openFailure(toSharedMcpError(err), this.definition);
      return failure.state === 'crashed' ? this.recordCrash(this.withStderr(failure.reason)) : this.settle(failure.state, failure.reason);
    } finally {
      if (this.abortLaunch === abort) this.abortLaunch = undefined;
    }
    this.adopt(gen, backend);
  }

  /** Starts or connects a backend with the definition as it is now. */
  protected openNow(request: OpenRequest): Promise<Backend> {
    return (this.deps.openBackend ?? openBackend)(this.definition, openOptions(this.deps, () => this.definition, request));
  }

  /** A backend that finished starting becomes the server's, unless a stop or a refusal came first. */
  protected adopt(gen: number, backend: Backend): void {
    if (gen !== this.generation) return this.retire(backend, 0);
    if (this.backend) this.retire(this.backend, 0); // never two live backends for one server
    if (this.refusedWhileStarting?.gen === gen) {
      this.retire(backend, 0);
      return this.settle('needs-auth', this.refusedWhileStarting.reason);
    }
    backend.onDidExit((reason) => this.onExit(gen, backend, reason));
    this.serverInfo = backend.serverInfo;
    this.startedAt = this.clock.now();
    this.setBackend(backend);
    this.setState('running', null);
    this.idle.update(this.definition.idleTimeoutMs, true);
    const pid = backend.pid;
    // A first look at the tree now, not only at the next periodic sample: a crash right away must still find grandchildren.
    if (pid !== null) {
      readProcessTable()
        .then((table) => this.backend === backend && this.observeTree(processTree(table, pid), table))
        .catch((err: unknown) => this.note('reading the process table', err));
    }
  }

  /** A remote refused its credentials after initialize: it waits for the user (a new secret, a sign-in). */
  protected needsAuth(gen: number, reason: string): void {
    if (gen !== this.generation) return;
    const backend = this.backend;
    if (!backend) {
      if (this.current === 'starting') this.refusedWhileStarting = { gen, reason };
      return;
    }
    ++this.generation;
    this.setBackend(undefined);
    this.retire(backend, 0);
    this.settle('needs-auth', reason);
  }

  protected onExit(gen: number, backend: Backend, reason: string): void {
    if (backend.pid !== null) this.deps.tracker.remove(this.name, backend.pid);
    if (gen !== this.generation) return;
    this.setBackend(undefined);
    this.retire(backend, 0); // the group may hold grandchildren that outlived their parent
    const full = this.withStderr(reason);
    this.deps.log.line('host', full);
    this.recordCrash(full);
  }

  /** Closes a backend on its way out without waiting for it (a start waits for it through the gate). */
  protected retire(backend: Backend, graceMs: number): void {
    detach(this.closeBackend(backend, graceMs), (err) => this.note('stopping the server', err));
  }

  /** Closes a backend, tracked until it is gone; never rejects (a failure is logged). */
  protected closeBackend(backend: Backend, graceMs: number): Promise<void> {
    return this.gate.track(
      backend.close(graceMs).then(
        () => {
          if (backend.pid !== null) this.deps.tracker.remove(this.name, backend.pid);
        },
        (err: unknown) => this.note('stopping the server', err),
      ),
    );
  }

  protected withStderr(reason: string): string {
    const stderr = this.definition.transport === 'stdio' ? this.deps.log.tailOf('stderr', REASON_STDERR_LINES) : [];
    return stderr.length > 0 ? `${reason}: ${stderr.join(' | ')}` : reason;
  }

  protected recordCrash(reason: string): void {
    if (this.disposed) return;
    this.clearTimers();
    this.setError(reason);
    const gen = this.generation;
    const decision = this.schedule.afterCrash(this.startedAt, () => {
      if (gen !== this.generation) return false;
      this.launch().catch((err: unknown) => this.note('the restart', err));
      return true;
    });
    if (decision.giveUp) return this.settle('failed', `crash loop: ${decision.crashes} exits within ${CRASH_WINDOW_MS / 60_000} minutes; last: ${reason}`);
    this.startedAt = undefined;
    this.setState('crashed', `${reason}; restarting in ${Math.round(decision.delayMs / 100) / 10}s`);
  }

  /** Ends in a state that waits for the user, with the reason; no timer (a restart, the idle stop) may move it on. */
  protected settle(state: 'failed' | 'needs-auth' | 'needs-secret', reason: string): void {
    this.clearTimers();
    const clean = this.status.clean(reason);
    if (state === this.current && clean === this.lastError) return; // asked again (`up`), nothing new to tell
    this.setError(clean);
    this.startedAt = undefined;
    this.deps.log.line('host', `${state}: ${clean}`);
    this.setState(state, clean);
  }

  protected clearTimers(): void {
    this.schedule.cancel();
    this.idle.cancel();
  }

  /** Where the server rests when nothing runs it: disabled, stopped, or idle (lazy: starts on demand; needs-secret while it could not). */
  protected restingState(): ServerState {
    const def = this.definition;
    if (def.disabled) return 'disabled';
    if (def.autoStart !== 'lazy' && def.sharing !== 'per-session') return 'stopped';
    // Nothing tries to start a lazy server before a request: say now that it could not.
    return this.missingSecrets().length > 0 ? 'needs-secret' : 'idle';
  }

  /** Takes the resting state; needs-secret names what is missing, and leaving it forgets that reason. */
  protected rest(): void {
    const state = this.restingState();
    if (state === 'needs-secret') return this.settle('needs-secret', missingSecretsMessage(this.missingSecrets()));
    if (this.current === 'needs-secret') this.setError(null);
    this.setState(state, null);
  }

  protected setBackend(backend: Backend | undefined): void {
    if (backend === this.backend) return;
    this.backend = backend;
    this.onDidChangeBackendEmitter.fire(backend);
  }

  protected setState(state: ServerState, reason: string | null): void {
    this.status.set(state, reason);
  }

  protected setError(reason: string | null): void {
    this.status.setError(reason);
  }

  /** Something that failed off the main path: it goes to the server's log, never into an unhandled rejection. */
  protected note(what: string, err: unknown): void {
    this.deps.log.line('host', `${what} failed: ${toSharedMcpError(err).message}`);
  }
}

export function disabledError(name: string): SharedMcpError {
  return new SharedMcpError('SERVER_DISABLED', `server "${name}" is disabled in the config`);
}
