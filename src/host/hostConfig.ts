import { readConfigText } from '../shared/config/configFile';
import { loadConfig, parseConfig } from '../shared/config/loadConfig';
import type { LoadedConfig } from '../shared/config/configTypes';
import type { HostEvent, HostInfo } from '../shared/controlTypes';
import { SharedMcpError, toSharedMcpError } from '../shared/errors';
import type { HostLogger } from './logs/hostLogger';

export interface ConfigDiff {
  added: string[];
  removed: string[];
  changed: string[];
}

export interface HostConfigOptions {
  log: HostLogger;
  emit(event: HostEvent): HostEvent;
  /** Settles once start-up applied the first config: a reload before that would race it. */
  ready(): Promise<void>;
  /** Brings the host in line with a new config (secrets file, servers, sync); resolves with what changed. */
  apply(next: LoadedConfig): Promise<ConfigDiff>;
}

/**
 * The config the host runs, and the last problem with the file: a file that does not parse, does not validate or is
 * empty keeps the running config and is reported with file, line, column and key. Reloads run one at a time.
 */
export class HostConfig {
  private current: LoadedConfig | undefined;
  private problem: HostInfo['configError'] = null;
  private reloading: Promise<unknown> = Promise.resolve();

  constructor(
    readonly file: string,
    private readonly options: HostConfigOptions,
  ) {}

  /** The running config; undefined when none ever loaded. */
  get value(): LoadedConfig | undefined {
    return this.current;
  }

  get error(): HostInfo['configError'] {
    return this.problem;
  }

  /** The first read, at start-up: not applied here (the host applies it once its port and registry are its own). */
  async load(): Promise<void> {
    try {
      this.current = await loadConfig(this.file);
      for (const w of this.current.warnings) this.options.log.warn(`${this.file}:${w.line}:${w.column} ${w.path}: ${w.message}`);
    } catch (err) {
      this.recordError(err);
    }
    this.options.log.setLevel(this.current?.settings.logLevel ?? 'info');
  }

  /** Reads the file again and applies it; resolves with the config-reloaded or config-error event it emitted. */
  reload(): Promise<HostEvent> {
    const run = this.reloading.then(() => this.reloadNow());
    this.reloading = run;
    return run;
  }

  private async reloadNow(): Promise<HostEvent> {
    try {
      await this.options.ready();
      const text = await readConfigText(this.file);
      // An editor that truncates before it writes, or a deleted file, must not stop every server.
      if (this.current && text.trim() === '') {
        throw new SharedMcpError('CONFIG_INVALID', `${this.file} is empty or missing; keeping the running config (to remove every server, save {"mcpServers": {}})`);
      }
      const next = parseConfig(text, this.file);
      const before = this.current;
      this.current = next;
      this.problem = null;
      this.options.log.setLevel(next.settings.logLevel);
      if (before && before.settings.port !== next.settings.port) this.options.log.warn('settings.port changed: it takes effect when the host restarts');
      const diff = await this.options.apply(next);
      this.options.log.info(`config reloaded: added [${diff.added.join(', ')}], removed [${diff.removed.join(', ')}], changed [${diff.changed.join(', ')}]`);
      return this.options.emit({ type: 'config-reloaded', ...diff, at: new Date().toISOString() });
    } catch (err) {
      return this.recordError(err);
    }
  }

  private recordError(err: unknown): HostEvent {
    const e = toSharedMcpError(err);
    const problems = (e.details as { problems?: NonNullable<HostInfo['configError']>['problems'] } | undefined)?.problems ?? [];
    this.problem = { message: e.message, problems };
    this.options.log.error(`config not applied, keeping the previous one: ${e.message}`);
    return this.options.emit({ type: 'config-error', message: e.message, problems, at: new Date().toISOString() });
  }
}
