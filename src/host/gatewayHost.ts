import * as http from 'node:http';
import { randomBytes } from 'node:crypto';
import { detach } from '../shared/detach';
import { SharedMcpError, hostStopping, toSharedMcpError } from '../shared/errors';
import { Emitter, type Disposable } from '../shared/emitter';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_SESSIONS, DEFAULT_SESSION_IDLE_TIMEOUT_MS, DEFAULT_STOP_GRACE_MS, type LoadedConfig } from '../shared/config/configTypes';
import { STATUS_SCHEMA_VERSION, type HealthInfo, type HostEvent, type HostStatus } from '../shared/controlTypes';
import { checkHealth, findHost } from '../shared/healthCheck';
import { DEFAULT_PORT, ensureHomeDirs, homePaths, type HomePaths } from '../shared/homePaths';
import { claimRegistry, markRegistryStopping, removeRegistryIfOwned } from '../shared/registry';
import { VERSION } from '../shared/version';
import { watchFile } from './watchFile';
import { STARTER_CONFIG, ensureFile } from './homeFiles';
import { HostConfig } from './hostConfig';
import { ClientToken } from './clientToken';
import { BearerToken } from './http/bearerToken';
import { createHostDispatcher } from './http/hostRoutes';
import { createHttpServer, defaultListenerOptions } from './http/httpServer';
import { listenOnFreePort } from './http/listen';
import { HostLogger } from './logs/hostLogger';
import { McpService } from './mcpService';
import { Redactor } from './logs/redactor';
import { LOG_KEEP_FILES, LOG_MAX_BYTES, RotatingFile } from './logs/rotatingFile';
import { SecretStore } from './secretStore';
import { hostShutdownSteps } from './hostShutdownSteps';
import { runShutdown } from './shutdownSequence';
import { ServerSet } from './serverSet';
import { captureShellEnv } from './shellEnv';
import { ProcessTracker } from './supervisor/processTracker';
import { bridgeCommand } from './sync/bridgeCommand';
import { SyncService } from './sync/syncService';

export const BIND_ADDRESS = '127.0.0.1';

export interface HostOptions {
  home: string;
  /** Defaults to home/config.jsonc. */
  configPath?: string;
  /** Echo the host log to stderr (`shared-mcp serve`). */
  foreground: boolean;
  /** Skip the login shell capture (env SHARED_MCP_SHELL_ENV=0). */
  shellEnv: boolean;
}

/** The gateway host: owns the config, the servers, the HTTP listener and host.json for one home. */
export class GatewayHost {
  private readonly onDidEmitEmitter = new Emitter<HostEvent>();
  readonly onDidEmit = this.onDidEmitEmitter.event;
  private readonly disposables: Disposable[] = [];
  private configWatch: Disposable | undefined;
  private tokenWatch: Disposable | undefined;
  private readonly startedAt = Date.now();
  private readonly settings: HostConfig;
  private stopping: Promise<void> | undefined;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private port = 0;
  private claimed = false;
  /** Settles once orphans are reaped and the config applied (or start-up failed); requests that need servers wait for it. */
  private readonly readyPromise: Promise<void>;
  private resolveReady!: () => void;
  private readonly servers: ServerSet;
  private readonly secrets: SecretStore;
  private readonly mcp: McpService;
  private readonly sync: SyncService;
  private readonly controlBearer: BearerToken;
  private readonly server: http.Server;

  private constructor(
    private readonly options: HostOptions,
    private readonly paths: HomePaths,
    configPath: string,
    private readonly log: HostLogger,
    private readonly tracker: ProcessTracker,
    private readonly controlToken: string,
    private readonly clientToken: ClientToken,
    redactor: Redactor,
  ) {
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    this.controlBearer = new BearerToken(controlToken);
    // Exists from the start: the listener answers before boot() is done, and an MCP request then must wait, not get 404.
    this.readyPromise = new Promise((r) => (this.resolveReady = r));
    this.settings = new HostConfig(configPath, {
      log,
      emit: (e) => this.emit(e),
      ready: () => this.readyPromise,
      apply: async (next) => {
        await this.secrets.persist(next.settings.persistSecrets);
        const diff = await this.servers.apply(next.servers);
        // A save that changes nothing clients see (a log level, an env value) does not read every client file again.
        this.sync.scheduleAutoIfChanged();
        return diff;
      },
    });
    this.secrets = new SecretStore(paths.secrets, log);
    // Every secret value is kept out of what the host stores or shows (OAuth tokens will be a second source).
    // Never disposed: the last lines of a shutdown are redacted too.
    redactor.addSource(this.secrets);
    this.servers = this.createServers(redactor);
    this.mcp = new McpService({
      servers: this.servers,
      sessionsFile: paths.sessions,
      maxMessageBytes: () => this.maxMessageBytes(),
      maxSessions: () => this.config?.settings.maxSessions ?? DEFAULT_MAX_SESSIONS,
      sessionIdleTimeoutMs: () => this.config?.settings.sessionIdleTimeoutMs ?? DEFAULT_SESSION_IDLE_TIMEOUT_MS,
      log: (m) => log.info(m),
    });
    this.sync = new SyncService({
      paths,
      clientEnv: { env: process.env, platform: process.platform },
      log: { info: (m) => log.info(m), warn: (m) => log.warn(m) },
      servers: () => this.config?.servers.filter((s) => !s.disabled).map((s) => s.name),
      endpoint: (name) => this.endpointUrl(name),
      token: () => clientToken.value,
      syncClients: () => this.config?.settings.syncClients ?? 'auto',
      bridge: (name) => bridgeCommand(paths.home, name),
      emit: (e) => this.emit(e),
    });
    this.forwardEvents();
    this.server = createHttpServer(this.dispatcher(), defaultListenerOptions((m) => log.warn(m))).server;
  }

  private createServers(redactor: Redactor): ServerSet {
    const { options, log } = this;
    let shellEnv: Promise<NodeJS.ProcessEnv> | undefined;
    return new ServerSet({
      paths: this.paths,
      tracker: this.tracker,
      baseEnv: () => (shellEnv ??= options.shellEnv && (this.config?.settings.shellEnv ?? true) ? captureShellEnv((m) => log.info(m)) : Promise.resolve({ ...process.env })),
      secrets: (name) => this.secrets.get(name),
      stopGraceMs: () => this.config?.settings.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
      maxMessageBytes: () => this.maxMessageBytes(),
      endpoint: (name) => this.endpointUrl(name),
      onDidRemoveServer: (name) => this.mcp.forgetServer(name),
      redactor,
      hostLog: log,
    });
  }

  /** What happens to servers, sessions and secrets becomes a host event (the control API's SSE stream). */
  private forwardEvents(): void {
    this.disposables.push(
      this.servers.onDidChangeState((c) => {
        this.log.info(`${c.server}: ${c.previous} → ${c.state}${c.reason ? ` (${c.reason})` : ''}`);
        this.emit({ type: 'server-state', server: c.server, state: c.state, previous: c.previous, reason: c.reason, at: new Date().toISOString() });
      }),
      this.servers.onDidChangeTools((server) => this.emit({ type: 'tools-changed', server, at: new Date().toISOString() })),
      this.mcp.sessions.onDidChangeSessions((endpoint) => this.emit({ type: 'sessions-changed', endpoint, at: new Date().toISOString() })),
      this.secrets.onDidChange((names) => {
        this.servers.secretsChanged(names);
        this.emit({ type: 'secrets-changed', names, at: new Date().toISOString() });
      }),
    );
  }

  /** Starts a host for options.home; throws HOST_RUNNING when a live host already serves that home. */
  static async start(options: HostOptions): Promise<GatewayHost> {
    const paths = homePaths(options.home);
    await ensureHomeDirs(paths);
    const existing = await findHost(paths.home);
    if (existing) throw hostRunning(paths.home, existing);
    const redactor = new Redactor();
    const hostLogFile = new RotatingFile(paths.hostLog, LOG_MAX_BYTES, LOG_KEEP_FILES, (file, err) => process.stderr.write(`shared-mcp host: cannot write ${file}: ${err.message}\n`));
    const log = new HostLogger(hostLogFile, 'info', options.foreground, (text) => redactor.redact(text));
    const configPath = options.configPath ?? paths.config;
    const clientToken = await ClientToken.load(paths.token, log).catch((err: unknown) => {
      log.close();
      throw new SharedMcpError('CONFIG_INVALID', `cannot read the client token ${paths.token}: ${toSharedMcpError(err).message}`);
    });
    const host = new GatewayHost(options, paths, configPath, log, new ProcessTracker(paths.processes, log), randomBytes(32).toString('hex'), clientToken, redactor);
    try {
      await host.boot();
    } catch (err) {
      host.resolveReady();
      await host.shutdown(`start-up failed: ${toSharedMcpError(err).message}`);
      throw err;
    }
    return host;
  }

  /** Resolves once the host has shut down. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  private async boot(): Promise<void> {
    this.log.info(`host ${VERSION} starting: pid ${process.pid}, home ${this.paths.home}`);
    if (this.options.configPath === undefined) await ensureFile(this.paths.config, STARTER_CONFIG);
    await this.settings.load();
    const wanted = this.config?.settings.port ?? DEFAULT_PORT;
    const bound = await listenOnFreePort(this.server, BIND_ADDRESS, wanted);
    this.port = bound.port;
    if (bound.busy.length > 0) this.log.warn(`port${bound.busy.length > 1 ? `s ${bound.busy[0]}–${bound.busy[bound.busy.length - 1]} are` : ` ${wanted} is`} busy; using ${this.port}`);
    // Claimed only once the port answers, and before anything is touched: a second host for this home gives up here.
    const claim = await claimRegistry(
      this.paths.registry,
      { pid: process.pid, port: this.port, address: BIND_ADDRESS, controlToken: this.controlToken, version: VERSION, home: this.paths.home, startedAt: new Date(this.startedAt).toISOString() },
      async (r) => (await checkHealth(r)) !== undefined,
    );
    if (!claim.claimed) throw hostRunning(this.paths.home, claim.holder);
    this.claimed = true;
    // Only now: a host that was stopping saved its sessions on its way out (MCP routes wait for ready meanwhile).
    await this.mcp.load();
    // Only the host that holds the registry touches secrets.json; a config that did not load says nothing about it.
    if (this.config) await this.secrets.persist(this.config.settings.persistSecrets);
    this.log.info(`listening on http://${BIND_ADDRESS}:${this.port}${this.port !== wanted ? ` (port ${wanted} was busy)` : ''}`);
    this.configWatch = watchFile(this.settings.file, () => void this.reload().catch(() => undefined), this.log);
    // The token's copy on disk is what clients without a host connection read: it must never be gone or empty.
    this.tokenWatch = watchFile(this.paths.token, () => detach(this.clientToken.restore(), (err) => this.logUnexpected('restoring home/token', err)), this.log);
    await this.clientToken.restore();
    // The listener answers from here on; server actions wait for finishBoot.
    detach(this.finishBoot(), (err) => this.logUnexpected('start-up', err));
  }

  /** Reaps orphans, applies the config and schedules the first sync; ready afterwards, whatever failed (a failed cleanup must not keep servers from starting). */
  private async finishBoot(): Promise<void> {
    try {
      try {
        const reaped = await this.tracker.reapOrphans(this.config?.settings.stopGraceMs ?? DEFAULT_STOP_GRACE_MS, this.log);
        if (reaped > 0) this.log.info(`stopped ${reaped} orphaned server process tree(s)`);
      } catch (err) {
        this.log.error(`orphan cleanup failed: ${toSharedMcpError(err).message}`);
      }
      if (!this.stopping) await this.servers.apply(this.config?.servers ?? []).catch((err: unknown) => this.log.error(`start-up: ${toSharedMcpError(err).message}`));
      // Client configs follow the port this host got and the servers it serves.
      if (!this.stopping) this.sync.scheduleAuto();
    } finally {
      this.resolveReady();
    }
  }

  health(): HealthInfo {
    return { ok: true, pid: process.pid, home: this.paths.home, version: VERSION, port: this.port };
  }

  async status(): Promise<HostStatus> {
    const servers = await this.servers.status();
    const aggregateSessions = this.mcp.addSessions(servers);
    return {
      schemaVersion: STATUS_SCHEMA_VERSION,
      host: {
        pid: process.pid,
        port: this.port,
        version: VERSION,
        home: this.paths.home,
        configPath: this.settings.file,
        startedAt: new Date(this.startedAt).toISOString(),
        uptimeMs: Date.now() - this.startedAt,
        rssBytes: process.memoryUsage.rss(),
        configError: this.settings.error,
        configWarnings: this.config?.warnings ?? [],
        missingSecrets: this.servers.missingSecrets(),
      },
      servers,
      aggregate: { endpoint: `http://${BIND_ADDRESS}:${this.port}/mcp`, sessions: aggregateSessions },
      sync: this.sync.state,
    };
  }

  /** Re-reads the config; an invalid file keeps the running config and is reported (HostConfig). */
  reload(): Promise<HostEvent> {
    if (this.stopping) return Promise.reject(hostStopping());
    return this.settings.reload();
  }

  /**
   * Stops accepting connections, stops every server, ends the sessions (kept on disk), flushes secrets, closes the
   * remaining connections and removes host.json if this host holds it. Memoised; every step runs even when one
   * before it fails or hangs, so it always ends with `closed` resolved (see shutdownSequence).
   */
  shutdown(reason: string): Promise<void> {
    this.stopping ??= this.close(reason);
    return this.stopping;
  }

  private async close(reason: string): Promise<void> {
    this.log.info(`shutting down: ${reason}`);
    try {
      const steps = hostShutdownSteps({
        listener: this.server,
        announce: () => void this.emit({ type: 'host-stopping', at: new Date().toISOString() }),
        watches: [this.configWatch, this.tokenWatch],
        sync: this.sync,
        servers: this.servers,
        sessions: this.mcp,
        secrets: this.secrets,
        markStopping: () => (this.claimed ? markRegistryStopping(this.paths.registry, process.pid) : undefined),
        releaseRegistry: () => (this.claimed ? removeRegistryIfOwned(this.paths.registry, process.pid) : undefined),
        stopGraceMs: this.config?.settings.stopGraceMs ?? DEFAULT_STOP_GRACE_MS,
      });
      const failed = await runShutdown(steps, this.log);
      this.log.info(failed.length > 0 ? `host stopped (not cleanly: ${failed.join(', ')})` : 'host stopped');
    } finally {
      for (const d of this.disposables.splice(0)) d.dispose();
      this.log.close();
      this.onDidEmitEmitter.dispose();
      this.resolveClosed();
    }
  }

  /** Logs an error nobody else caught, with its stack: a bug to report, not a user mistake. */
  logUnexpected(what: string, err: unknown): void {
    this.log.error(`${what}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }

  /** Last resort before a forced exit: SIGKILL every server's process group, synchronously. */
  killServersNow(): void {
    this.servers.killAllNow();
  }

  private endpointUrl(name: string): string {
    return `http://${BIND_ADDRESS}:${this.port}/mcp/${encodeURIComponent(name)}`;
  }

  private maxMessageBytes(): number {
    return this.config?.settings.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  }

  /** The running config; undefined when none ever loaded. */
  private get config(): LoadedConfig | undefined {
    return this.settings.value;
  }

  private emit(event: HostEvent): HostEvent {
    this.onDidEmitEmitter.fire(event);
    return event;
  }

  /** The one table of routes the listener serves, and the dispatcher that applies each route's checks. */
  private dispatcher(): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
    const control = {
      servers: this.servers,
      secrets: this.secrets,
      health: () => this.health(),
      clientToken: () => this.clientToken.value,
      status: () => this.status(),
      reload: () => this.reload(),
      sync: this.sync,
      shutdown: () => {
        this.shutdown('requested over the control API').catch((err: unknown) => this.logUnexpected('shutdown failed', err));
      },
      onDidEmit: this.onDidEmit,
    };
    return createHostDispatcher({
      mcp: this.mcp.routes(),
      control,
      port: () => this.port,
      clientToken: this.clientToken,
      controlToken: this.controlBearer,
      ready: () => this.readyPromise,
      onUnexpected: (err) => this.logUnexpected('request failed', err),
    });
  }
}

function hostRunning(home: string, holder: { pid: number; port: number }): SharedMcpError {
  return new SharedMcpError('HOST_RUNNING', `a host is already running for ${home} (pid ${holder.pid}, port ${holder.port})`);
}
