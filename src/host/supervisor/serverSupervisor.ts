import { SharedMcpError, hostStopping, toSharedMcpError } from '../../shared/errors';
import { Emitter } from '../../shared/emitter';
import type { ServerDefinition } from '../../shared/config/configTypes';
import type { ServerState } from '../../shared/controlTypes';
import { formatBytes } from '../../shared/units';
import type { Backend, ServerInfo } from '../backends/backend';
import type { InitializeParams } from '../backends/jsonRpc';
import { openBackend } from '../backends/openBackend';
import { StdioBackend } from '../backends/stdioBackend';
import type { ServerLog } from '../logs/serverLog';
import { processTree, readProcessTable, treeRssBytes, type ProcessInfo } from './processTable';
import type { ProcessTracker } from './processTracker';
import { IdleTimer } from './idleTimer';
import { CRASH_WINDOW_MS, RestartPolicy } from './restartPolicy';
import { secretAction } from './secretAction';
import { missingSecrets, missingSecretsMessage, secretRefs, type SecretLookup } from './serverEnv';
import { StopGate } from './stopGate';

const REASON_STDERR_LINES = 5;

export interface StateChange {
  server: string;
  state: ServerState;
  previous: ServerState;
  reason: string | null;
}

export interface SupervisorDeps {
  log: ServerLog;
  tracker: ProcessTracker;
  /** The environment servers inherit (the login shell's, captured once). */
  baseEnv(): Promise<NodeJS.ProcessEnv>;
  /** The host's secrets, for ${secret:NAME}. */
  secrets: SecretLookup;
  stopGraceMs(): number;
  /** What the host declares to the server in initialize. */
  initParams(): InitializeParams;
  maxMessageBytes(): number;
}

/**
 * Runs one configured server: start, stop, restart with exponential backoff, crash-loop detection, memory limit
 * and idle stop. Every state change fires onDidChangeState. A generation counter makes late callbacks of a
 * replaced backend harmless.
 */
export class ServerSupervisor {
  private readonly onDidChangeStateEmitter = new Emitter<StateChange>();
  readonly onDidChangeState = this.onDidChangeStateEmitter.event;
  private readonly onDidChangeBackendEmitter = new Emitter<Backend | undefined>();
  /** Fires with the new backend once it is ready, and with undefined the moment it is gone (exit, stop, restart). */
  readonly onDidChangeBackend = this.onDidChangeBackendEmitter.event;
  private current: ServerState;
  private backend: Backend | undefined;
  private generation = 0;
  private launching: Promise<void> | undefined;
  private readonly gate = new StopGate();
  private abortLaunch: AbortController | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private readonly idle = new IdleTimer((idleMs) => {
    this.deps.log.line('host', `no session for ${Math.round(idleMs / 1000)}s: stopping until the next request`);
    void this.stop('idle');
  });
  private policy: RestartPolicy;
  private startedAt: number | undefined;
  private disposed = false;
  restarts = 0;
  lastError: string | null = null;
  serverInfo: ServerInfo | null = null;

  constructor(
    private definition: ServerDefinition,
    private readonly deps: SupervisorDeps,
  ) {
    this.current = this.restingState();
    if (this.current === 'needs-secret') this.lastError = missingSecretsMessage(this.missingSecrets());
    this.policy = new RestartPolicy(definition.restartDelayMs, definition.maxRestarts);
  }

  get name(): string {
    return this.definition.name;
  }
  get def(): ServerDefinition {
    return this.definition;
  }
  get state(): ServerState {
    return this.current;
  }
  get pid(): number | null {
    return this.backend?.pid ?? null;
  }
  /** The ready backend, when running. */
  get activeBackend(): Backend | undefined {
    return this.backend;
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
    if (this.definition.disabled) throw new SharedMcpError('SERVER_DISABLED', `server "${this.name}" is disabled in the config`);
    await this.gate.quiet();
    if (this.disposed) throw hostStopping();
    if (this.gate.requested !== stops) return;
    // per-session: every session starts its own process; there is nothing shared to run.
    if (this.definition.sharing === 'per-session') return;
    if (this.current === 'running') return;
    if (this.current === 'starting') return this.launching;
    if (manual) {
      this.policy.reset();
      this.restarts = 0;
      this.lastError = null;
    }
    this.clearTimers();
    // Checked before anything starts: nothing is spawned (or flickers through starting) without its secrets.
    const missing = this.missingSecrets();
    if (missing.length > 0) return this.settle('needs-secret', missingSecretsMessage(missing));
    await this.launch();
  }

  /** Stops the server and its whole process tree; resolves when nothing of it is left, including earlier stops. */
  stop(next: ServerState = 'stopped'): Promise<void> {
    return this.gate.stop((previous) => this.stopNow(next, previous));
  }

  private async stopNow(next: ServerState, previous: Promise<void> | undefined): Promise<void> {
    const gen = ++this.generation;
    this.clearTimers();
    this.abortLaunch?.abort();
    const backend = this.backend;
    this.setBackend(undefined);
    if (backend) this.closeBackend(backend, this.deps.stopGraceMs());
    if (this.gate.closingAny || this.launching) this.setState('stopping', null);
    await previous;
    await this.launching; // an aborted start resolves once its process is gone
    await this.gate.allClosed();
    if (gen === this.generation) this.setState(this.definition.disabled ? 'disabled' : next, null);
  }

  /** Stops; resolves with the stop count right after this stop, which a following start compares with. */
  private async stopCounted(): Promise<number> {
    const stopped = this.stop();
    const stops = this.gate.requested;
    await stopped;
    return stops;
  }

  async restart(): Promise<void> {
    await this.startUnlessStoppedSince(await this.stopCounted(), true);
  }

  /** Applies a changed definition: a server that was up restarts with it (started, not awaited); one that was not takes its resting state. */
  async update(def: ServerDefinition): Promise<void> {
    const wasUp = ['running', 'starting', 'crashed'].includes(this.current);
    const stops = await this.stopCounted();
    this.definition = def;
    this.policy = new RestartPolicy(def.restartDelayMs, def.maxRestarts);
    this.rest();
    if (wasUp || def.autoStart === true) this.startUnlessStoppedSince(stops, false).catch(() => undefined);
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

  /** Secrets changed (their names): see secretAction for what a server does then. Never throws. */
  async secretsChanged(changed: readonly string[]): Promise<void> {
    const used = secretRefs(this.definition).filter((n) => changed.includes(n));
    if (this.disposed || used.length === 0) return;
    const missing = this.missingSecrets();
    const lazy = this.definition.autoStart === 'lazy' || this.definition.sharing === 'per-session';
    switch (secretAction(this.current, lazy, missing)) {
      case 'restart': {
        this.deps.log.line('host', `secret${used.length > 1 ? 's' : ''} ${used.join(', ')} changed: restarting`);
        const stops = await this.stopCounted();
        return this.startUnlessStoppedSince(stops, false).catch(() => undefined);
      }
      case 'wait':
        return this.settle('needs-secret', missingSecretsMessage(missing));
      case 'rest':
        return this.rest();
      case 'start':
        return this.start().catch(() => undefined);
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
    this.lastError = reason;
    // Crashed, not stopping: a config change meanwhile restarts it, and a start waits for the old tree (closing).
    this.setState('crashed', `${reason}; restarting`);
    // A stop that comes in meanwhile wins: no restart is scheduled then.
    if (backend) void this.closeBackend(backend, this.deps.stopGraceMs()).then(() => gen === this.generation && this.recordCrash(reason));
  }

  dispose(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.disposed = true;
    return this.stop().finally(() => {
      this.onDidChangeStateEmitter.dispose();
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
      backend = await openBackend(this.definition, {
        baseEnv: this.deps.baseEnv(),
        secrets: this.deps.secrets,
        log: this.deps.log,
        signal: abort.signal,
        graceMs: this.deps.stopGraceMs(),
        init: this.deps.initParams(),
        maxMessageBytes: this.deps.maxMessageBytes(),
        onSpawn: (pid) => this.deps.tracker.add(this.name, pid),
        onSpawnUndone: (pid) => this.deps.tracker.remove(this.name, pid),
      });
    } catch (err) {
      if (gen !== this.generation) return;
      const e = toSharedMcpError(err);
      // A missing command or a bad reference will not fix itself by retrying; a 401 needs the user.
      if (e.code === 'COMMAND_NOT_FOUND' || e.code === 'CONFIG_INVALID') return this.settle('failed', e.message);
      if (e.code === 'UNAUTHORIZED') return this.settle('needs-auth', e.message);
      if (e.code === 'SECRET_MISSING') return this.settle('needs-secret', e.message);
      return this.recordCrash(this.withStderr(this.definition.transport === 'stdio' ? `did not complete MCP initialize: ${e.message}` : e.message));
    } finally {
      if (this.abortLaunch === abort) this.abortLaunch = undefined;
    }
    if (gen !== this.generation) return void this.closeBackend(backend, 0);
    if (this.backend) void this.closeBackend(this.backend, 0); // never two live backends for one server
    backend.onDidExit((reason) => this.onExit(gen, backend, reason));
    this.serverInfo = backend.serverInfo;
    this.startedAt = Date.now();
    this.setBackend(backend);
    this.setState('running', null);
    this.idle.update(this.definition.idleTimeoutMs, true);
    const pid = backend.pid;
    // A first look at the tree now, not only at the next periodic sample: a crash right away must still find grandchildren.
    if (pid !== null) void readProcessTable().then((table) => this.backend === backend && this.observeTree(processTree(table, pid), table));
  }

  private onExit(gen: number, backend: Backend, reason: string): void {
    if (backend.pid !== null) this.deps.tracker.remove(this.name, backend.pid);
    if (gen !== this.generation) return;
    this.setBackend(undefined);
    this.closeBackend(backend, 0); // the group may hold grandchildren that outlived their parent
    const full = this.withStderr(reason);
    this.deps.log.line('host', full);
    this.recordCrash(full);
  }

  private closeBackend(backend: Backend, graceMs: number): Promise<void> {
    return this.gate.track(
      backend.close(graceMs).then(() => {
        if (backend.pid !== null) this.deps.tracker.remove(this.name, backend.pid);
      }),
    );
  }

  private withStderr(reason: string): string {
    const stderr = this.definition.transport === 'stdio' ? this.deps.log.tailOf('stderr', REASON_STDERR_LINES) : [];
    return stderr.length > 0 ? `${reason}: ${stderr.join(' | ')}` : reason;
  }

  private recordCrash(reason: string): void {
    if (this.disposed) return;
    this.clearTimers();
    this.lastError = reason;
    const decision = this.policy.onCrash(Date.now(), this.startedAt);
    if (decision.giveUp) return this.settle('failed', `crash loop: ${decision.crashes} exits within ${CRASH_WINDOW_MS / 60_000} minutes; last: ${reason}`);
    const delay = decision.delayMs;
    this.startedAt = undefined;
    this.setState('crashed', `${reason}; restarting in ${Math.round(delay / 100) / 10}s`);
    const gen = this.generation;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (gen !== this.generation) return;
      this.restarts++;
      void this.launch();
    }, delay);
  }

  /** Ends in a state that waits for the user, with the reason. */
  private settle(state: 'failed' | 'needs-auth' | 'needs-secret', reason: string): void {
    if (state === this.current && reason === this.lastError) return; // asked again (`up`), nothing new to tell
    this.lastError = reason;
    this.startedAt = undefined;
    this.deps.log.line('host', `${state}: ${reason}`);
    this.setState(state, reason);
  }

  private clearTimers(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
    this.idle.cancel();
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
    if (this.current === 'needs-secret') this.lastError = null;
    this.setState(state, null);
  }

  private setBackend(backend: Backend | undefined): void {
    if (backend === this.backend) return;
    this.backend = backend;
    this.onDidChangeBackendEmitter.fire(backend);
  }

  private setState(state: ServerState, reason: string | null): void {
    if (state === this.current && reason === null) return;
    const previous = this.current;
    this.current = state;
    this.onDidChangeStateEmitter.fire({ server: this.name, state, previous, reason });
  }
}
