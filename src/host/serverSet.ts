import { detach } from '../shared/detach';
import { SharedMcpError, hostStopping, toSharedMcpError } from '../shared/errors';
import { Emitter, type Disposable } from '../shared/emitter';
import { diffServers } from '../shared/config/loadConfig';
import type { ServerDefinition } from '../shared/config/configTypes';
import type { ServerStatus } from '../shared/controlTypes';
import { serverLogPath, type HomePaths } from '../shared/homePaths';
import { LATEST_PROTOCOL_VERSION, type InitializeParams } from './backends/jsonRpc';
import type { TextRedactor } from './logs/redactor';
import { LOG_KEEP_FILES, LOG_MAX_BYTES, RotatingFile } from './logs/rotatingFile';
import type { McpEndpoint } from './mux/mcpEndpoint';
import { Multiplexer } from './mux/multiplexer';
import { PerSessionEndpoint } from './mux/perSessionEndpoint';
import { SupervisorSource } from './mux/supervisorSource';
import { ServerLog } from './logs/serverLog';
import { processTree, readProcessTable, treeRssBytes } from './supervisor/processTable';
import type { ProcessTracker } from './supervisor/processTracker';
import { changedFields } from './supervisor/definitionChange';
import { ServerSupervisor, type StateChange } from './supervisor/serverSupervisor';
import { secretRefs, type SecretLookup } from './supervisor/serverEnv';
import { VERSION } from '../shared/version';
import { pathToFileURL } from 'node:url';

/** How often each server's process tree is sampled: memory limit, and members for a complete stop. */
export const TREE_SAMPLE_MS = 2000;

interface Entry {
  supervisor: ServerSupervisor;
  log: ServerLog;
  endpoint: Multiplexer | PerSessionEndpoint;
  subscription: Disposable;
}

export interface ServerSetOptions {
  paths: HomePaths;
  tracker: ProcessTracker;
  baseEnv(): Promise<NodeJS.ProcessEnv>;
  /** The host's secrets, for ${secret:NAME}. */
  secrets: SecretLookup;
  stopGraceMs(): number;
  maxMessageBytes(): number;
  endpoint(name: string): string;
  /** A server left the config: its sessions are gone for good. */
  onDidRemoveServer(name: string): void;
  /** Known secret values out of every server log line, lastError, state reason and error a client gets. */
  redactor: TextRedactor;
  /** The host's log, for what goes wrong around the servers (a log file that cannot be written). */
  hostLog: { warn(msg: string): void };
}

/** The host's servers by name: applies configs, resolves names, runs actions on many servers, samples memory. */
export class ServerSet {
  private readonly entries = new Map<string, Entry>();
  private readonly onDidChangeStateEmitter = new Emitter<StateChange>();
  readonly onDidChangeState = this.onDidChangeStateEmitter.event;
  private readonly onDidChangeToolsEmitter = new Emitter<string>();
  /** A server's tool list changed (its name). */
  readonly onDidChangeTools = this.onDidChangeToolsEmitter.event;
  private readonly sampler: NodeJS.Timeout;
  private closed = false;

  constructor(private readonly options: ServerSetOptions) {
    this.sampler = setInterval(() => {
      this.sampleTrees().catch((err: unknown) => this.options.hostLog.warn(`sampling the servers' process trees failed: ${(err as Error).message}`));
    }, TREE_SAMPLE_MS);
    this.sampler.unref();
  }

  /**
   * Brings the set in line with a config: adds, removes, and restarts only the servers whose definition changed.
   * Resolves once old processes are stopped; new ones are started but not waited for (a slow start must not hold
   * up the next reload or a `down`).
   */
  async apply(defs: ServerDefinition[]): Promise<{ added: string[]; removed: string[]; changed: string[] }> {
    this.assertOpen();
    const diff = diffServers([...this.entries.values()].map((e) => e.supervisor.def), defs);
    const byName = new Map(defs.map((d) => [d.name, d]));
    // A server that changes how it is shared is a new endpoint: its sessions end.
    const reshared = diff.changed.filter((name) => this.entries.get(name)?.supervisor.def.sharing !== byName.get(name)?.sharing);
    const gone = [...diff.removed, ...reshared];
    await Promise.all(gone.map((name) => this.remove(name)));
    for (const name of gone) this.options.onDidRemoveServer(name);
    await Promise.all(diff.changed.filter((n) => !reshared.includes(n)).map((name) => this.update(name, byName.get(name) as ServerDefinition)));
    // Shut down meanwhile: close() has disposed what was here; nothing new may appear after it.
    if (this.closed) return diff;
    for (const name of [...diff.added, ...reshared]) this.add(byName.get(name) as ServerDefinition);
    for (const name of [...diff.added, ...reshared]) {
      const supervisor = this.entries.get(name)?.supervisor;
      if (supervisor) detach(supervisor.autoStart(), (err) => this.options.hostLog.warn(`${name}: autoStart failed: ${toSharedMcpError(err).message}`));
    }
    return diff;
  }

  /** The supervisors for these names (every server when none are given); throws UNKNOWN_SERVER before acting on any. */
  resolve(names?: string[]): ServerSupervisor[] {
    if (!names || names.length === 0) return [...this.entries.values()].map((e) => e.supervisor);
    const unknown = names.filter((n) => !this.entries.has(n));
    if (unknown.length > 0) {
      const known = [...this.entries.keys()].join(', ') || 'none configured';
      throw new SharedMcpError('UNKNOWN_SERVER', `unknown server${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')} (known: ${known})`);
    }
    return names.map((n) => (this.entries.get(n) as Entry).supervisor);
  }

  /** The MCP endpoint of a server, or undefined when there is no such server. */
  endpoint(name: string): McpEndpoint | undefined {
    return this.entries.get(name)?.endpoint;
  }

  /** Every server's mux (the aggregate endpoint fans out over them). */
  endpoints(): Array<{ name: string; endpoint: McpEndpoint; supervisor: ServerSupervisor }> {
    return [...this.entries.values()].map((e) => ({ name: e.supervisor.name, endpoint: e.endpoint, supervisor: e.supervisor }));
  }

  log(name: string): ServerLog {
    this.resolve([name]);
    return (this.entries.get(name) as Entry).log;
  }

  /** `up`: named servers start; with no names, autoStart servers start and lazy ones become idle again. */
  async start(names?: string[]): Promise<void> {
    this.assertOpen();
    const targets = this.resolve(names);
    if (names && names.length > 0) {
      const disabled = targets.filter((s) => s.def.disabled).map((s) => s.name);
      if (disabled.length > 0) throw new SharedMcpError('SERVER_DISABLED', `disabled in the config: ${disabled.join(', ')}`);
      await Promise.all(targets.map((s) => s.start().catch(() => undefined)));
      return;
    }
    for (const s of targets) s.rearm();
    await Promise.all(targets.filter((s) => s.def.autoStart === true && !s.def.disabled).map((s) => s.start().catch(() => undefined)));
  }

  async stop(names?: string[]): Promise<void> {
    await Promise.all(this.resolve(names).map((s) => s.stop()));
  }

  /** Restarts the named servers, or with no names every server that is up or failed. */
  async restart(names?: string[]): Promise<void> {
    this.assertOpen();
    const targets = this.resolve(names);
    const chosen = names && names.length > 0 ? targets : targets.filter((s) => ['running', 'starting', 'crashed', 'failed'].includes(s.state));
    await Promise.all(chosen.map((s) => s.restart().catch(() => undefined)));
  }

  /** Secrets changed (their names): servers waiting for them start, servers up with them restart. */
  secretsChanged(names: string[]): void {
    // secretsChanged logs what fails itself; detach only keeps a surprise from floating.
    for (const { supervisor } of this.entries.values()) detach(supervisor.secretsChanged(names), (err) => this.options.hostLog.warn(`${supervisor.name}: reacting to changed secrets failed: ${toSharedMcpError(err).message}`));
  }

  /** The secrets that servers which may run refer to and the host lacks, sorted: what an editor should push. */
  missingSecrets(): string[] {
    const missing = [...this.entries.values()].filter((e) => !e.supervisor.def.disabled).flatMap((e) => e.supervisor.missingSecrets());
    return [...new Set(missing)].sort();
  }

  /** Each secret name the servers refer to, with the names of those servers (disabled ones too). */
  secretUsers(): Map<string, string[]> {
    const users = new Map<string, string[]>();
    for (const { supervisor } of this.entries.values()) {
      for (const name of secretRefs(supervisor.def)) users.set(name, [...(users.get(name) ?? []), supervisor.name]);
    }
    return users;
  }

  async status(): Promise<ServerStatus[]> {
    const table = await readProcessTable();
    const now = Date.now();
    return [...this.entries.values()].map(({ supervisor: s, endpoint }) => {
      const started = s.startTime;
      return {
        tools: endpoint.toolCount(),
        sessions: [],
        name: s.name,
        transport: s.def.transport,
        launch: s.def.transport === 'stdio' ? [s.def.command ?? '', ...s.def.args].join(' ') : (s.def.url ?? ''),
        state: s.state,
        pid: s.pid,
        startedAt: started !== undefined ? new Date(started).toISOString() : null,
        uptimeMs: started !== undefined ? now - started : null,
        restarts: s.restarts,
        rssBytes: s.pid !== null ? treeRssBytes(processTree(table, s.pid)) : null,
        lastError: s.lastError,
        endpoint: this.options.endpoint(s.name),
        autoStart: s.def.autoStart,
        sharing: s.def.sharing,
        serverInfo: s.serverInfo,
      };
    });
  }

  /** Stops every server and its processes; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.sampler);
    await Promise.all([...this.entries.keys()].map((name) => this.remove(name)));
    this.onDidChangeStateEmitter.dispose();
    this.onDidChangeToolsEmitter.dispose();
  }

  /** SIGKILL to every process of every server, synchronously (forced host exit). */
  killAllNow(): void {
    this.options.tracker.killAllNow();
  }

  private assertOpen(): void {
    if (this.closed) throw hostStopping();
  }

  /** A changed definition; a tools filter changed in place changes the tools clients see. */
  private async update(name: string, def: ServerDefinition): Promise<void> {
    const supervisor = this.entries.get(name)?.supervisor;
    if (!supervisor) return;
    const before = supervisor.def;
    await supervisor.update(def);
    if (changedFields(before, def).includes('tools')) this.onDidChangeToolsEmitter.fire(name);
  }

  private add(def: ServerDefinition): void {
    const file = new RotatingFile(serverLogPath(this.options.paths, def.name), LOG_MAX_BYTES, LOG_KEEP_FILES, (path, err) =>
      this.options.hostLog.warn(`cannot write ${path}: ${err.message}; ${def.name}'s log lines are kept in memory only until it can be written again`),
    );
    const log = new ServerLog(file, { redactor: this.options.redactor });
    const supervisor: ServerSupervisor = new ServerSupervisor(def, {
      log,
      tracker: this.options.tracker,
      baseEnv: this.options.baseEnv,
      secrets: this.options.secrets,
      stopGraceMs: this.options.stopGraceMs,
      maxMessageBytes: this.options.maxMessageBytes,
      redact: (text) => this.options.redactor.redact(text),
      initParams: (): InitializeParams => hostInitParams(supervisor.def),
    });
    const muxOptions = {
      name: def.name,
      tools: () => supervisor.def.tools,
      roots: () => supervisor.def.roots.map((r) => pathToFileURL(r).href),
      log,
      onDidChangeTools: () => this.onDidChangeToolsEmitter.fire(def.name),
      requestTimeoutMs: () => supervisor.def.requestTimeoutMs,
    };
    const endpoint =
      def.sharing === 'per-session'
        ? new PerSessionEndpoint({
            ...muxOptions,
            idleTimeoutMs: () => supervisor.def.idleTimeoutMs,
            openBackend: async (init, signal) => {
              this.assertOpen();
              return supervisor.openOwn(init, signal);
            },
            closeBackend: (b) => supervisor.closeOwn(b),
            onDidRequireRestart: supervisor.onDidRequireRestart,
          })
        : new Multiplexer(new SupervisorSource(supervisor), { ...muxOptions, passthroughInit: false });
    const subscription = supervisor.onDidChangeState((c) => this.onDidChangeStateEmitter.fire(c));
    this.entries.set(def.name, { supervisor, log, endpoint, subscription });
  }

  private async remove(name: string): Promise<void> {
    const entry = this.entries.get(name);
    if (!entry) return;
    // The endpoint's dispose starts closing every session's own process (and aborts their starts); the
    // supervisor's waits until those are gone too, so no process outlives its server (or the host).
    entry.endpoint.dispose();
    await entry.supervisor.dispose();
    entry.subscription.dispose();
    entry.log.close();
    this.entries.delete(name);
  }

  private async sampleTrees(): Promise<void> {
    const running = [...this.entries.values()].filter((e) => e.supervisor.pid !== null);
    if (running.length === 0) return;
    const table = await readProcessTable();
    for (const { supervisor } of running) {
      if (supervisor.pid !== null) supervisor.observeTree(processTree(table, supervisor.pid), table);
    }
  }
}

/** What the host declares to a shared server: it routes sampling and elicitation; roots only when the config names some. */
function hostInitParams(def: ServerDefinition): InitializeParams {
  return {
    protocolVersion: LATEST_PROTOCOL_VERSION,
    // listChanged: a reload that changes the roots tells the server (notifications/roots/list_changed), no restart.
    capabilities: { sampling: {}, elicitation: {}, ...(def.roots.length > 0 ? { roots: { listChanged: true } } : {}) },
    clientInfo: { name: 'shared-mcp', version: VERSION },
  };
}
