import { detach } from '../../shared/detach';
import { SharedMcpError, hostStopping, toSharedMcpError } from '../../shared/errors';
import { systemClock, type Clock } from '../../shared/clock';
import { Emitter } from '../../shared/emitter';
import type { ServerDefinition } from '../../shared/config/configTypes';
import type { ServerState } from '../../shared/controlTypes';
import { formatBytes } from '../../shared/units';
import type { Backend, ServerInfo } from '../backends/backend';
import type { InitializeParams } from '../backends/jsonRpc';
import { openBackend } from '../backends/openBackend';
import { StdioBackend } from '../backends/stdioBackend';
import { inPlacePlan, restartNeeded } from './definitionChange';
import { processTree, readProcessTable, treeRssBytes, type ProcessInfo } from './processTable';
import { IdleTimer } from './idleTimer';
import { CRASH_WINDOW_MS } from './restartPolicy';
import { RestartSchedule } from './restartSchedule';
import { secretAction } from './secretAction';
import { missingSecrets, missingSecretsMessage, secretRefs } from './serverEnv';
import { StopGate } from './stopGate';
import { OwnBackends } from './ownBackends';
import { openOptions, ownProcessRecord, type OpenRequest, type SupervisorDeps } from './supervisorDeps';
import { SupervisorState } from './supervisorState';
import { openFailure } from './openFailure';

export type { StateChange } from './supervisorState';
export type { SupervisorDeps } from './supervisorDeps';

const REASON_STDERR_LINES = 5;

/**
 * Runs one configured server: start, stop, restart with exponential backoff, crash-loop detection, memory limit
 * and idle stop. Every state change fires onDidChangeState. A generation counter makes late callbacks of a
 * replaced backend harmless.
 */
export class ServerSupervisor {
  private readonly status: SupervisorState;
  readonly onDidChangeState: SupervisorState['onDidChange'];
  private readonly onDidChangeBackendEmitter = new Emitter<Backend | undefined>();
  /** Fires with the new backend once it is ready, and with undefined the moment it is gone (exit, stop, restart). */
  readonly onDidChangeBackend = this.onDidChangeBackendEmitter.event;
  private backend: Backend | undefined;
  private generation = 0;
  private launching: Promise<void> | undefined;
  private readonly gate = new StopGate();
  private abortLaunch: AbortController | undefined;
  private readonly clock: Clock;
  private readonly idle: IdleTimer;
  private readonly schedule: RestartSchedule;
  private startedAt: number | undefined;
  private disposed = false;
  /** Per-session sharing: each session's own backend, opened and closed through here. */
  private readonly own: OwnBackends;
  /** Per-session sharing: the config or a secret changed what a session's process gets; each session lets go of its own. */
  readonly onDidRequireRestart: OwnBackends['onDidRequireRestart'];
  /** A remote refused its credentials while its start was completing (before it became the backend). */
  private refusedWhileStarting: { gen: number; reason: string } | undefined;
  serverInfo: ServerInfo | null = null;

  constructor(
    private definition: ServerDefinition,
    private readonly deps: SupervisorDeps,
  ) {
    this.clock = deps.clock ?? systemClock;
    this.idle = new IdleTimer((idleMs) => {
      this.deps.log.line('host', `no session for ${Math.round(idleMs / 1000)}s: stopping until the next request`);
      this.stop('idle').catch((err: unknown) => this.note('the idle stop', err));
    }, this.clock);
    this.status = new SupervisorState(definition.name, this.restingState(), deps.redact);
    this.onDidChangeState = this.status.onDidChange;
    if (this.current === 'needs-secret') this.status.setError(missingSecretsMessage(this.missingSecrets()));
    this.schedule = new RestartSchedule(definition, this.clock);
    this.own = new OwnBackends({
      name: definition.name,
      open: (init, signal, onNeedsAuth) => this.openOwnNow(init, signal, onNeedsAuth),
      graceMs: () => this.deps.stopGraceMs(),
      forget: (pid) => this.deps.tracker.remove(ownProcessRecord(this.name, pid), pid),
      log: deps.log,
    });
    this.onDidRequireRestart = this.own.onDidRequireRestart;
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
  private get current(): ServerState {
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

  /** Starts the server (a manual start also clears the crash history); throws SERVER_DISABLED for disabled ones. */
  start(manual = true): Promise<void> {
    return this.startUnlessStoppedSince(this.gate.requested, manual);
  }

  /** Waits until every old process is gone, then starts, unless a stop was requested after `stops` was counted. */
  private async startUnlessStoppedSince(stops: number, manual: boolean): Promise<void> {
    if (this.disposed) throw hostStopping();
    if (this.definition.disabled) throw disabledError(this.name);
    await this.gate.quiet();
    if (this.disposed) throw hostStopping();
    if (this.gate.requested !== stops) return;
    // per-session: every session starts its own process; there is nothing shared to run.
    if (this.definition.sharing === 'per-session') return;
    if (this.current === 'running') return;
    if (this.current === 'starting') return this.launching;
    return this.begin(manual);
  }

  /** Starts now (nothing of an old process is left); checked first: nothing is spawned (or flickers through starting) without its secrets. */
  private begin(manual: boolean): Promise<void> {
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

  /** Stops the server and its whole process tree; resolves when nothing of it is left, including earlier stops. */
  stop(next: ServerState = 'stopped'): Promise<void> {
    return this.stopThen(() => this.setState(this.definition.disabled ? 'disabled' : next, null));
  }

  /** Stops; then, unless another stop came after this one, `settle` puts the server in the state it ends in. */
  private stopThen(settle: () => void): Promise<void> {
    return this.gate.stop((previous) => this.stopNow(previous, settle));
  }

  private async stopNow(previous: Promise<void> | undefined, settle: () => void): Promise<void> {
    const gen = ++this.generation;
    this.clearTimers();
    this.abortLaunch?.abort();
    const backend = this.backend;
    this.setBackend(undefined);
    if (backend) this.retire(backend, this.deps.stopGraceMs());
    if (this.gate.closingAny || this.launching) this.setState('stopping', null);
    await previous;
    await this.launching; // an aborted start resolves once its process is gone
    await this.gate.allClosed();
    if (gen === this.generation) settle();
  }

  /**
   * Stops and starts again. The start begins in the same step as the end of the stop, so the server goes from
   * stopping straight to starting: nobody (status, events, a request waiting for it) sees a `stopped` that is not
   * meant. Resolves once the new start has settled.
   */
  private async restartNow(manual: boolean): Promise<void> {
    await this.stopThen(() => this.startAfterStop(manual));
    await this.launching;
  }

  /** The end of a restart's stop: starts, unless the server may not run now (disabled, per-session, the host stopping); then it rests. */
  private startAfterStop(manual: boolean): void {
    if (this.disposed || this.definition.disabled || this.definition.sharing === 'per-session') return this.rest();
    detach(this.begin(manual), (err) => this.note('the restart', err));
  }

  async restart(): Promise<void> {
    await this.restartNow(true);
  }

  /**
   * Applies a changed definition. A change that reaches the process (definitionChange.ts) restarts a server that
   * was up (started, not awaited); one that was not takes its resting state, and so does one now disabled.
   * Anything else is applied in place: the process and every call in flight go on.
   */
  async update(def: ServerDefinition): Promise<void> {
    const before = this.definition;
    if (!restartNeeded(before, def)) return this.applyInPlace(before, def);
    const wasUp = ['running', 'starting', 'crashed'].includes(this.current);
    // Taken before the stop, so the stop ends in the new definition's state (disabled, idle) and nothing reads the old one after.
    this.definition = def;
    this.schedule.replace(def);
    if (def.sharing === 'per-session') this.own.outdate('config changed');
    await this.stopThen(() => (wasUp || def.autoStart === true ? this.startAfterStop(false) : this.rest()));
  }

  private applyInPlace(before: ServerDefinition, def: ServerDefinition): void {
    this.definition = def;
    const plan = inPlacePlan(before, def, this.current);
    if (plan.fields.length === 0) return;
    this.deps.log.line('host', `config changed (${plan.fields.join(', ')}): applied without a restart`);
    if (plan.reconfigurePolicy) this.schedule.configure(def);
    if (plan.rearmIdle) this.idle.update(def.idleTimeoutMs, this.current === 'running');
    // The server was told (initialize) that roots may change: it asks again when told they did.
    if (plan.notifyRoots) this.notify('notifications/roots/list_changed');
    if (plan.rest) this.rest();
    if (plan.start) this.start(false).catch((err: unknown) => this.note('the start for autoStart', err));
  }

  /** Starts if the config says so at host start (autoStart true); a failure shows in state and lastError. */
  async autoStart(): Promise<void> {
    if (this.definition.autoStart === true && !this.definition.disabled && this.definition.sharing !== 'per-session') await this.startUnlessStoppedSince(this.gate.requested, false).catch(() => undefined);
  }

  /** Puts a stopped server back into its configured resting state (lazy servers become idle again). */
  rearm(): void {
    if (this.current === 'stopped' || this.current === 'failed') this.rest();
  }

  /** The secrets this server refers to that the host lacks. */
  missingSecrets(): string[] {
    return missingSecrets(this.definition, this.deps.secrets);
  }

  /** Secrets changed (their names): see secretAction for what a server does then. Never rejects. */
  async secretsChanged(changed: readonly string[]): Promise<void> {
    const used = secretRefs(this.definition).filter((n) => changed.includes(n));
    if (this.disposed || used.length === 0) return;
    if (this.definition.sharing === 'per-session') this.own.outdate(`secret${used.length > 1 ? 's' : ''} ${used.join(', ')} changed`);
    const missing = this.missingSecrets();
    const lazy = this.definition.autoStart === 'lazy' || this.definition.sharing === 'per-session';
    try {
      switch (secretAction(this.current, lazy, missing)) {
        case 'restart':
          this.deps.log.line('host', `secret${used.length > 1 ? 's' : ''} ${used.join(', ')} changed: restarting`);
          return await this.restartNow(false);
        case 'wait':
          return this.settle('needs-secret', missingSecretsMessage(missing));
        case 'rest':
          return this.rest();
        case 'start':
          return await this.start();
      }
    } catch (err) {
      this.note('applying the changed secrets', err);
    }
  }

  /** The number of MCP sessions using this server; at zero the idle timer runs. */
  setSessionCount(n: number): void {
    this.idle.update(this.definition.idleTimeoutMs, this.current === 'running', n);
  }

  /** Called with each sample of the process tree: remembers its members, and over maxMemory restarts the server. */
  observeTree(tree: ProcessInfo[], table: Map<number, ProcessInfo>): void {
    if (this.backend instanceof StdioBackend) {
      this.backend.knownTree = tree;
      this.deps.tracker.observe(this.name, this.backend.pid, tree, table);
    }
    const max = this.definition.maxMemoryBytes;
    const rss = treeRssBytes(tree);
    if (!max || this.current !== 'running' || rss <= max) return;
    const reason = `memory limit exceeded: ${formatBytes(rss)} > ${formatBytes(max)}`;
    this.deps.log.line('host', `${reason}; restarting`);
    const backend = this.backend;
    const gen = ++this.generation;
    this.setBackend(undefined);
    this.setError(reason);
    // Crashed, not stopping: a config change meanwhile restarts it, and a start waits for the old tree (closing).
    this.setState('crashed', `${reason}; restarting`);
    // A stop that comes in meanwhile wins: no restart is scheduled then.
    if (backend) {
      this.closeBackend(backend, this.deps.stopGraceMs())
        .then(() => gen === this.generation && this.recordCrash(reason))
        .catch((err: unknown) => this.note('the restart after the memory limit', err));
    }
  }

  /**
   * Opens a backend of one session's own (per-session sharing), initialized with its client's params; closeOwn
   * stops it. Aborting the signal stops it while it starts. Refused for a disabled server and after dispose.
   */
  openOwn(init: InitializeParams, signal: AbortSignal): Promise<Backend> {
    return this.own.open(init, signal);
  }

  /** Stops a session's own backend; never rejects. dispose waits for it. */
  closeOwn(backend: Backend): Promise<void> {
    return this.own.close(backend);
  }

  /** Stops the server, then waits for every session's own process to be gone too; idempotent. */
  dispose(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.disposed = true;
    return this.stop()
      .finally(() => this.own.dispose())
      .finally(() => {
        this.status.dispose();
        this.onDidChangeBackendEmitter.dispose();
      });
  }

  private launch(): Promise<void> {
    const p = this.open().finally(() => {
      if (this.launching === p) this.launching = undefined;
    });
    this.launching = p;
    return p;
  }

  private async open(): Promise<void> {
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
  private openNow(request: OpenRequest): Promise<Backend> {
    return (this.deps.openBackend ?? openBackend)(this.definition, openOptions(this.deps, () => this.definition, request));
  }

  private openOwnNow(init: InitializeParams, signal: AbortSignal, onNeedsAuth: () => void): Promise<Backend> {
    if (this.disposed) return Promise.reject(hostStopping());
    if (this.definition.disabled) return Promise.reject(disabledError(this.name));
    return this.openNow({ signal, init, recordOf: (pid) => ownProcessRecord(this.name, pid), onNeedsAuth });
  }

  /** A backend that finished starting becomes the server's, unless a stop or a refusal came first. */
  private adopt(gen: number, backend: Backend): void {
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
  private needsAuth(gen: number, reason: string): void {
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

  private onExit(gen: number, backend: Backend, reason: string): void {
    if (backend.pid !== null) this.deps.tracker.remove(this.name, backend.pid);
    if (gen !== this.generation) return;
    this.setBackend(undefined);
    this.retire(backend, 0); // the group may hold grandchildren that outlived their parent
    const full = this.withStderr(reason);
    this.deps.log.line('host', full);
    this.recordCrash(full);
  }

  /** Closes a backend on its way out without waiting for it (a start waits for it through the gate). */
  private retire(backend: Backend, graceMs: number): void {
    detach(this.closeBackend(backend, graceMs), (err) => this.note('stopping the server', err));
  }

  /** Closes a backend, tracked until it is gone; never rejects (a failure is logged). */
  private closeBackend(backend: Backend, graceMs: number): Promise<void> {
    return this.gate.track(
      backend.close(graceMs).then(
        () => {
          if (backend.pid !== null) this.deps.tracker.remove(this.name, backend.pid);
        },
        (err: unknown) => this.note('stopping the server', err),
      ),
    );
  }

  private withStderr(reason: string): string {
    const stderr = this.definition.transport === 'stdio' ? this.deps.log.tailOf('stderr', REASON_STDERR_LINES) : [];
    return stderr.length > 0 ? `${reason}: ${stderr.join(' | ')}` : reason;
  }

  private recordCrash(reason: string): void {
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
  private settle(state: 'failed' | 'needs-auth' | 'needs-secret', reason: string): void {
    this.clearTimers();
    const clean = this.status.clean(reason);
    if (state === this.current && clean === this.lastError) return; // asked again (`up`), nothing new to tell
    this.setError(clean);
    this.startedAt = undefined;
    this.deps.log.line('host', `${state}: ${clean}`);
    this.setState(state, clean);
  }

  private clearTimers(): void {
    this.schedule.cancel();
    this.idle.cancel();
  }

  /** Sends a notification of the host's own to the running backend, if any; one that cannot go is logged. */
  private notify(method: string): void {
    try {
      this.backend?.send({ jsonrpc: '2.0', method });
    } catch (err) {
      this.note(`sending ${method}`, err);
    }
  }

  /** Where the server rests when nothing runs it: disabled, stopped, or idle (lazy: starts on demand; needs-secret while it could not). */
  private restingState(): ServerState {
    const def = this.definition;
    if (def.disabled) return 'disabled';
    if (def.autoStart !== 'lazy' && def.sharing !== 'per-session') return 'stopped';
    // Nothing tries to start a lazy server before a request: say now that it could not.
    return this.missingSecrets().length > 0 ? 'needs-secret' : 'idle';
  }

  /** Takes the resting state; needs-secret names what is missing, and leaving it forgets that reason. */
  private rest(): void {
    const state = this.restingState();
    if (state === 'needs-secret') return this.settle('needs-secret', missingSecretsMessage(this.missingSecrets()));
    if (this.current === 'needs-secret') this.setError(null);
    this.setState(state, null);
  }

  private setBackend(backend: Backend | undefined): void {
    if (backend === this.backend) return;
    this.backend = backend;
    this.onDidChangeBackendEmitter.fire(backend);
  }

  private setState(state: ServerState, reason: string | null): void {
    this.status.set(state, reason);
  }

  private setError(reason: string | null): void {
    this.status.setError(reason);
  }

  /** Something that failed off the main path: it goes to the server's log, never into an unhandled rejection. */
  private note(what: string, err: unknown): void {
    this.deps.log.line('host', `${what} failed: ${toSharedMcpError(err).message}`);
  }
}

function disabledError(name: string): SharedMcpError {
  return new SharedMcpError('SERVER_DISABLED', `server "${name}" is disabled in the config`);
}
