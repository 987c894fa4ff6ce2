import { detach } from '../../shared/detach';
import { hostStopping } from '../../shared/errors';
import type { ServerDefinition } from '../../shared/config/configTypes';
import type { ServerState } from '../../shared/controlTypes';
import { formatBytes } from '../../shared/units';
import type { Backend } from '../backends/backend';
import type { InitializeParams } from '../backends/jsonRpc';
import { StdioBackend } from '../backends/stdioBackend';
import { inPlacePlan, restartNeeded } from './definitionChange';
import { treeRssBytes, type ProcessInfo } from './processTable';
import { secretAction } from './secretAction';
import { missingSecretsMessage, secretRefs } from './serverEnv';
import { OwnBackends } from './ownBackends';
import { ownProcessRecord, type SupervisorDeps } from './supervisorDeps';
import { SupervisorCore, disabledError } from './supervisorCore';

export type { StateChange } from './supervisorState';
export type { SupervisorDeps } from './supervisorDeps';

/**
 * Runs one configured server: start, stop, restart with exponential backoff, crash-loop detection, memory limit
 * and idle stop (SupervisorCore holds the lifecycle). Every state change fires onDidChangeState.
 */
export class ServerSupervisor extends SupervisorCore {
  /** Per-session sharing: each session's own backend, opened and closed through here. */
  private readonly own: OwnBackends;
  /** Per-session sharing: the config or a secret changed what a session's process gets; each session lets go of its own. */
  readonly onDidRequireRestart: OwnBackends['onDidRequireRestart'];

  constructor(definition: ServerDefinition, deps: SupervisorDeps) {
    super(definition, deps);
    this.own = new OwnBackends({
      name: definition.name,
      open: (init, signal, onNeedsAuth) => this.openOwnNow(init, signal, onNeedsAuth),
      graceMs: () => this.deps.stopGraceMs(),
      forget: (pid) => this.deps.tracker.remove(ownProcessRecord(this.name, pid), pid),
      log: deps.log,
    });
    this.onDidRequireRestart = this.own.onDidRequireRestart;
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

  private openOwnNow(init: InitializeParams, signal: AbortSignal, onNeedsAuth: () => void): Promise<Backend> {
    if (this.disposed) return Promise.reject(hostStopping());
    if (this.definition.disabled) return Promise.reject(disabledError(this.name));
    return this.openNow({ signal, init, recordOf: (pid) => ownProcessRecord(this.name, pid), onNeedsAuth });
  }

  /** Sends a notification of the host's own to the running backend, if any; one that cannot go is logged. */
  private notify(method: string): void {
    try {
      this.backend?.send({ jsonrpc: '2.0', method });
    } catch (err) {
      this.note(`sending ${method}`, err);
    }
  }
}
