import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import { Emitter } from '../../shared/emitter';
import type { ServerDefinition } from '../../shared/config/configTypes';
import type { ServerState } from '../../shared/controlTypes';
import { formatBytes } from '../../shared/units';
import { StdioBackend, describeExit, type ExitInfo, type InitializeResult } from '../backends/stdioBackend';
import type { ServerLog } from '../logs/serverLog';
import type { ProcessTracker } from './processTracker';
import { interpolateEnv } from './serverEnv';
import { processTree, readProcessTable, treeRssBytes, type ProcessInfo } from './processTable';

export const MAX_BACKOFF_MS = 30_000;
/** Crashes counted against maxRestarts fall out of this window. */
export const CRASH_WINDOW_MS = 10 * 60_000;
/** A process that ran this long resets the backoff to restartDelay. */
export const STABLE_RUN_MS = 60_000;
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
  stopGraceMs(): number;
}

/**
 * Runs one configured server: start, stop, restart with exponential backoff, crash-loop detection, memory limit
 * and idle stop. Every state change fires onDidChangeState. A generation counter makes late callbacks of a
 * replaced process harmless.
 */
export class ServerSupervisor {
  private readonly onDidChangeStateEmitter = new Emitter<StateChange>();
  readonly onDidChangeState = this.onDidChangeStateEmitter.event;
  private current: ServerState;
  private backend: StdioBackend | undefined;
  private generation = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private crashTimes: number[] = [];
  private backoffStep = 0;
  private startedAt: number | undefined;
  private sessions = 0;
  private disposed = false;
  private launching: Promise<void> | undefined;
  restarts = 0;
  lastError: string | null = null;
  serverInfo: InitializeResult['serverInfo'] | null = null;

  constructor(
    private definition: ServerDefinition,
    private readonly deps: SupervisorDeps,
  ) {
    this.current = restingState(definition);
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
    return this.backend && !this.backend.hasExited ? this.backend.pid : null;
  }
  get startTime(): number | undefined {
    return this.current === 'running' ? this.startedAt : undefined;
  }

  /** Starts the server (a manual start also clears the crash history); throws SERVER_DISABLED for disabled ones. */
  async start(manual = true): Promise<void> {
    if (this.definition.disabled) throw new SharedMcpError('SERVER_DISABLED', `server "${this.name}" is disabled in the config`);
    if (this.current === 'running') return;
    if (this.current === 'starting') return this.launching;
    if (this.definition.transport !== 'stdio') {
      throw new SharedMcpError('BAD_REQUEST', `server "${this.name}" is a remote (${this.definition.transport}) server; remote servers are not bridged yet`);
    }
    if (manual) {
      this.crashTimes = [];
      this.backoffStep = 0;
      this.restarts = 0;
      this.lastError = null;
    }
    this.clearTimers();
    await this.launchTracked();
  }

  /** Stops the server and its whole process tree; resolves when nothing of it is left. */
  async stop(next: ServerState = 'stopped'): Promise<void> {
    this.generation++;
    this.clearTimers();
    const backend = this.backend;
    this.backend = undefined;
    if (backend && !backend.hasExited) {
      this.setState('stopping', null);
      await backend.close(this.deps.stopGraceMs());
    } else if (backend) {
      await backend.close(0);
    }
    this.setState(this.definition.disabled ? 'disabled' : next, null);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Applies a changed definition: a server that was up restarts with it; one that was not takes its resting state. */
  async update(def: ServerDefinition): Promise<void> {
    const wasUp = ['running', 'starting', 'crashed'].includes(this.current);
    await this.stop();
    this.definition = def;
    this.setState(restingState(def), null);
    if (wasUp || def.autoStart === true) await this.startQuietly();
  }

  /** Starts if the config says so at host start (autoStart true). */
  async autoStart(): Promise<void> {
    if (this.definition.autoStart === true && !this.definition.disabled && this.definition.transport === 'stdio') await this.startQuietly();
  }

  /** Puts a stopped server back into its configured resting state (lazy servers become idle again). */
  rearm(): void {
    if (this.current === 'stopped' || this.current === 'failed') this.setState(restingState(this.definition), null);
  }

  /** The number of MCP sessions using this server; at zero the idle timer runs. */
  setSessionCount(n: number): void {
    this.sessions = n;
    this.armIdleTimer();
  }

  /** Called with each sample of the process tree: remembers its members, and over maxMemory restarts the server. */
  observeTree(tree: ProcessInfo[]): void {
    if (this.backend) this.backend.knownTree = tree;
    this.checkMemory(treeRssBytes(tree));
  }

  private checkMemory(rssBytes: number): void {
    const max = this.definition.maxMemoryBytes;
    if (!max || this.current !== 'running' || rssBytes <= max) return;
    const reason = `memory limit exceeded: ${formatBytes(rssBytes)} > ${formatBytes(max)}`;
    this.deps.log.line('host', `${reason}; restarting`);
    const backend = this.backend;
    this.generation++;
    this.backend = undefined;
    void backend?.close(this.deps.stopGraceMs()).then(() => this.recordCrash(reason));
  }

  dispose(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.disposed = true;
    return this.stop().finally(() => this.onDidChangeStateEmitter.dispose());
  }

  private async startQuietly(): Promise<void> {
    try {
      await this.start(false);
    } catch {
      // reported through state and lastError
    }
  }

  private launchTracked(): Promise<void> {
    const p = this.launch().finally(() => {
      if (this.launching === p) this.launching = undefined;
    });
    this.launching = p;
    return p;
  }

  private async launch(): Promise<void> {
    const gen = ++this.generation;
    this.setState('starting', null);
    let backend: StdioBackend;
    try {
      const env = interpolateEnv(this.definition, await this.deps.baseEnv());
      if (gen !== this.generation) return;
      backend = await StdioBackend.spawn(this.definition, env, this.deps.log);
    } catch (err) {
      if (gen !== this.generation) return;
      // A missing command or cwd will not fix itself by retrying: fail at once, with the reason.
      return this.fail(toSharedMcpError(err).message);
    }
    if (gen !== this.generation) {
      void backend.close(0);
      return;
    }
    this.backend = backend;
    void this.deps.tracker.add(this.name, backend.pid);
    backend.onDidExit((exit) => this.onExit(gen, backend, exit));
    backend.onDidReceive((msg) => {
      // No client is attached to the backend's own channel: refuse server→client requests instead of leaving them hanging.
      if (msg.method && msg.id !== undefined && msg.id !== null) backend.send({ jsonrpc: '2.0', id: msg.id, error: { code: -32601, message: `${msg.method} is not available: no client is connected` } });
    });
    this.deps.log.line('host', `started pid ${backend.pid}: ${[this.definition.command, ...this.definition.args].join(' ')}`);
    try {
      const info = await backend.initialize(this.definition.startupTimeoutMs);
      if (gen !== this.generation) return;
      this.serverInfo = info.serverInfo ?? null;
      this.startedAt = Date.now();
      this.setState('running', null);
      this.armIdleTimer();
      // A first look at the tree now, not only at the next periodic sample: a crash right away must still find grandchildren.
      void readProcessTable().then((table) => this.backend === backend && this.observeTree(processTree(table, backend.pid)));
    } catch (err) {
      if (gen !== this.generation || backend.hasExited) return; // the exit handler reports it
      const reason = toSharedMcpError(err).message;
      this.generation++;
      this.backend = undefined;
      await backend.close(this.deps.stopGraceMs());
      this.recordCrash(`did not complete MCP initialize: ${reason}`);
    }
  }

  private onExit(gen: number, backend: StdioBackend, exit: ExitInfo): void {
    this.deps.tracker.remove(this.name, backend.pid);
    if (gen !== this.generation) return;
    this.backend = undefined;
    void backend.close(0); // the group may hold grandchildren that outlived their parent
    const stderr = this.deps.log.tailOf('stderr', REASON_STDERR_LINES);
    const reason = `exited with ${describeExit(exit)}${stderr.length > 0 ? `: ${stderr.join(' | ')}` : ''}`;
    this.deps.log.line('host', reason);
    this.recordCrash(reason);
  }

  private recordCrash(reason: string): void {
    if (this.disposed) return;
    const now = Date.now();
    this.lastError = reason;
    this.crashTimes = this.crashTimes.filter((t) => now - t < CRASH_WINDOW_MS);
    this.crashTimes.push(now);
    if (this.crashTimes.length > this.definition.maxRestarts) {
      return this.fail(`crash loop: ${this.crashTimes.length} exits within ${CRASH_WINDOW_MS / 60_000} minutes; last: ${reason}`);
    }
    if (this.startedAt !== undefined && now - this.startedAt >= STABLE_RUN_MS) this.backoffStep = 0;
    const delay = Math.min(this.definition.restartDelayMs * 2 ** this.backoffStep, MAX_BACKOFF_MS);
    this.backoffStep++;
    this.startedAt = undefined;
    this.setState('crashed', `${reason}; restarting in ${Math.round(delay / 100) / 10}s`);
    const gen = this.generation;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      if (gen !== this.generation) return;
      this.restarts++;
      void this.launchTracked();
    }, delay);
  }

  private fail(reason: string): void {
    this.lastError = reason;
    this.startedAt = undefined;
    this.deps.log.line('host', `failed: ${reason}`);
    this.setState('failed', reason);
  }

  private armIdleTimer(): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const idleMs = this.definition.idleTimeoutMs;
    if (!idleMs || this.sessions > 0 || this.current !== 'running') return;
    this.idleTimer = setTimeout(() => {
      this.deps.log.line('host', `no session for ${Math.round(idleMs / 1000)}s: stopping until the next request`);
      void this.stop('idle');
    }, idleMs);
  }

  private clearTimers(): void {
    if (this.restartTimer) clearTimeout(this.restartTimer);
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.restartTimer = undefined;
    this.idleTimer = undefined;
  }

  private setState(state: ServerState, reason: string | null): void {
    if (state === this.current && reason === null) return;
    const previous = this.current;
    this.current = state;
    this.onDidChangeStateEmitter.fire({ server: this.name, state, previous, reason });
  }
}

/** Where a server rests when nothing runs it: disabled, idle (lazy: starts on demand) or stopped. */
function restingState(def: ServerDefinition): ServerState {
  if (def.disabled) return 'disabled';
  return def.autoStart === 'lazy' ? 'idle' : 'stopped';
}
