import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { SYNC_CLIENTS, clientTarget, gatewayEntry, parseClientId, type BridgeCommand, type ClientEnvironment, type ClientId } from '../../shared/clients/clientTargets';
import type { ClientSyncResult, HostEvent, HostStatus, SyncRequest, SyncResult } from '../../shared/controlTypes';
import { describeSync } from '../../shared/clients/describeSync';
import { SharedMcpError } from '../../shared/errors';
import type { HomePaths } from '../../shared/homePaths';
import { syncClient } from './clientSync';
import { SyncLedger, type ClientLedger, type LedgerData } from './syncLedger';

type SyncState = NonNullable<HostStatus['sync']>;

/** Automatic syncs wait this long after the last trigger, so a burst of config saves writes client files once. */
export const AUTO_SYNC_DELAY_MS = 300;

export interface SyncServiceOptions {
  paths: HomePaths;
  /** Where the clients' files are (the host's own environment; tests redirect HOME and the rest). */
  clientEnv: ClientEnvironment;
  log: { info(message: string): void; warn(message: string): void };
  /** The servers clients should see (enabled ones), by name; undefined while no config is loaded. */
  servers(): string[] | undefined;
  endpoint(name: string): string;
  /** The client bearer token the host holds in memory (never empty: the host owns it). */
  token(): string;
  /** settings.syncClients */
  syncClients(): 'auto' | string[];
  /** The command a stdio-only client runs for `name`; undefined when this host has no CLI beside it. */
  bridge(name: string): BridgeCommand | undefined;
  emit(event: HostEvent): void;
}

/** The host as the single writer of client configs: one sync at a time, after start and reloads, and on demand. */
export class SyncService {
  private readonly ledger: SyncLedger;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  /** Settles when the scheduled automatic sync has run (or was dropped by close). */
  private scheduled: { done: Promise<void>; settle(): void } | undefined;
  private closed = false;
  /** What clients got at the last sync: the enabled servers and settings.syncClients. */
  private lastView: string | undefined;
  private last: SyncState = { paused: false, lastAt: null, clients: [] };

  constructor(private readonly options: SyncServiceOptions) {
    this.ledger = new SyncLedger(options.paths.syncLedger, options.paths.syncBaselines);
  }

  /** The last run, for status. */
  get state(): SyncState {
    return this.last;
  }

  /** Writes every shared server into the clients' files; an explicit sync also ends a pause left by unsync. */
  sync(request: SyncRequest = {}): Promise<SyncResult> {
    return this.enqueue(() => this.run('sync', request));
  }

  /** Takes exactly our entries out again (the user's replaced ones come back) and pauses automatic syncs. */
  unsync(request: SyncRequest = {}): Promise<SyncResult> {
    return this.enqueue(() => this.run('unsync', request));
  }

  /** A sync soon, unless unsync paused them; errors are logged, never thrown. */
  scheduleAuto(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.scheduled ??= settleable();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const scheduled = this.scheduled;
      this.scheduled = undefined;
      void this.enqueue(() => this.run('auto', {}))
        .catch((err: unknown) => this.options.log.warn(`client config sync failed: ${(err as Error).message}`))
        .finally(() => scheduled?.settle());
    }, AUTO_SYNC_DELAY_MS);
    this.timer.unref();
  }

  /**
   * After a config reload: a sync only if what clients get (the enabled servers, settings.syncClients) changed.
   * Says whether it scheduled one.
   */
  scheduleAutoIfChanged(): boolean {
    if (this.view() === this.lastView) return false;
    this.scheduleAuto();
    return true;
  }

  /** Resolves once no automatic sync is scheduled or running any more (what a caller waits on instead of a delay). */
  async settled(): Promise<void> {
    while (this.scheduled) await this.scheduled.done;
    await this.queue;
  }

  private view(): string {
    return JSON.stringify([this.options.servers() ?? null, this.options.syncClients()]);
  }

  /** Stops scheduling and waits for a sync in progress (a file is never left half done). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.scheduled?.settle();
    this.scheduled = undefined;
    await this.queue.catch(() => undefined);
  }

  private enqueue<T>(job: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new SharedMcpError('HOST_STOPPING', 'the host is shutting down'));
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async run(mode: 'sync' | 'unsync' | 'auto', request: SyncRequest): Promise<SyncResult> {
    const data = await this.ledger.load((m) => this.options.log.warn(m));
    const servers = this.options.servers();
    if (mode === 'auto' && (data.paused || servers === undefined)) return { paused: data.paused, clients: [] };
    const paused = new Set(data.pausedClients ?? []);
    if (mode !== 'unsync' && servers === undefined) throw new SharedMcpError('CONFIG_INVALID', 'the config is not loaded (see status); nothing was synced');
    const dryRun = request.dryRun === true;
    if (!dryRun) this.lastView = this.view();
    const chosen = request.clients?.map(parseClient);
    // Unsynced clients stay out of automatic syncs until a sync names them (or syncs everything).
    const wanted = mode === 'unsync' ? new Set<ClientId>() : new Set((chosen ?? this.configured()).filter((id) => mode !== 'auto' || !paused.has(id)));
    const targets = chosen ?? [...new Set([...wanted, ...(Object.keys(data.clients) as ClientId[])])];
    const token = this.options.token();
    const isOurs = (name: string, value: unknown): boolean => this.carriesOurToken(name, value, token);
    const results: ClientSyncResult[] = [];
    for (const id of targets) {
      const target = clientTarget(id, this.options.clientEnv);
      const previous = data.clients[id];
      if (previous && path.resolve(previous.file) !== path.resolve(target.file)) {
        // The client's file moved (CLAUDE_CONFIG_DIR, CODEX_HOME or HOME differ from the last sync): take ours out of the old one first.
        const old = { ...target, file: previous.file, ...(target.lockFile ? { lockFile: `${previous.file}.lock` } : {}) };
        const { result, ledger } = await syncClient(old, new Map(), previous, { dryRun, replace: new Set(), isOurs, ledger: this.ledger, backupDir: this.options.paths.backups });
        results.push(result);
        if (result.status === 'error') continue; // the new file waits until the old one is clean, so nothing is lost track of
        if (!dryRun) await this.save(data, id, ledger);
      }
      const desired = new Map<string, unknown>();
      for (const name of wanted.has(id) ? (servers ?? []) : []) {
        const bridge = target.stdioOnly ? this.options.bridge(name) : undefined;
        if (target.stdioOnly && !bridge) break;
        desired.set(name, gatewayEntry(id, { url: this.options.endpoint(name), token, bridge }));
      }
      if (wanted.has(id) && desired.size < (servers ?? []).length) {
        results.push(noBridge(target));
        continue;
      }
      const replace = request.force ? true : new Set(request.replace?.[id] ?? []);
      // A ledger of another file (not cleaned above, on a dry run) counts as none: syncClient checks the path.
      const { result, ledger } = await syncClient(target, desired, data.clients[id], { dryRun, replace, isOurs, ledger: this.ledger, backupDir: this.options.paths.backups });
      results.push(result);
      // After each file, not once at the end: a host killed between two clients must not forget what it wrote.
      if (!dryRun) await this.save(data, id, ledger);
    }
    if (!dryRun) {
      if (mode === 'unsync' && !chosen) data.paused = true;
      if (mode === 'unsync' && chosen) data.pausedClients = [...new Set([...paused, ...chosen])];
      if (mode === 'sync') {
        data.paused = false;
        data.pausedClients = chosen ? [...paused].filter((id) => !chosen.includes(id)) : [];
      }
      await this.ledger.save(data);
      this.record(data, results);
    }
    return { paused: data.paused, clients: results };
  }

  private async save(data: LedgerData, id: ClientId, ledger: ClientLedger | undefined): Promise<void> {
    if (ledger) data.clients[id] = ledger;
    else delete data.clients[id];
    await this.ledger.save(data);
  }

  /** An entry that reaches this host's endpoint for `name` with its token (or runs its bridge for `name`) is ours. */
  private carriesOurToken(name: string, value: unknown, token: string): boolean {
    if (!value || typeof value !== 'object' || token === '') return false;
    const v = value as Record<string, unknown>;
    const url = v.url ?? v.httpUrl ?? v.serverUrl;
    const headers = (v.headers ?? v.http_headers) as Record<string, unknown> | undefined;
    if (typeof url === 'string') return /^http:\/\/127\.0\.0\.1:\d+\/mcp\//.test(url) && url.endsWith(`/mcp/${encodeURIComponent(name)}`) && headers?.Authorization === `Bearer ${token}`;
    const args = v.args;
    return Array.isArray(args) && args.length === 3 && args[1] === 'bridge' && args[2] === name && typeof args[0] === 'string' && args[0].startsWith(this.options.paths.runtime + path.sep);
  }

  /** settings.syncClients; 'auto' is every client whose config folder (or file) exists. */
  private configured(): ClientId[] {
    const setting = this.options.syncClients();
    if (setting !== 'auto') return setting.map(parseClient);
    return SYNC_CLIENTS.filter((id) => {
      const t = clientTarget(id, this.options.clientEnv);
      return existsSync(t.folder) || existsSync(t.file);
    });
  }

  private record(data: LedgerData, results: ClientSyncResult[]): void {
    const at = new Date().toISOString();
    this.last = { paused: data.paused, lastAt: at, clients: results };
    for (const r of results) {
      const line = describeSync(r);
      if (r.status === 'error' || r.conflicts.length > 0) this.options.log.warn(`sync: ${line}`);
      else if (r.status === 'written') this.options.log.info(`sync: ${line}`);
    }
    if (results.some((r) => r.status !== 'unchanged')) this.options.emit({ type: 'clients-synced', clients: results, at });
  }
}

function settleable(): { done: Promise<void>; settle(): void } {
  let settle: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (settle = resolve));
  return { done, settle };
}

/** A stdio-only client needs the CLI beside the host for its bridge entries; without it nothing is written. */
function noBridge(target: ReturnType<typeof clientTarget>): ClientSyncResult {
  const empty = { added: [], updated: [], replaced: [], removed: [], restored: [], conflicts: [], released: [] };
  return { client: target.id, label: target.label, file: target.file, status: 'error', ...empty, error: 'this host has no cli.js beside it for `shared-mcp bridge` entries; restart it (shared-mcp down --host && shared-mcp up)' };
}

function parseClient(text: string): ClientId {
  const id = parseClientId(text);
  if (!id) throw new SharedMcpError('USAGE', `unknown client "${text}" (one of: ${SYNC_CLIENTS.join(', ')})`);
  return id;
}

