import { promises as fs } from 'node:fs';
import { Emitter } from '../shared/emitter';
import { SharedMcpError, isErrnoException } from '../shared/errors';
import { writeFileAtomic } from '../shared/registry';
import { isSecretName } from '../shared/secretName';
import { MIN_REDACTED_CHARS } from './logs/redactor';

/** Where the store reports what it did with its file: names and paths only, never a value. */
export interface SecretStoreLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

interface SecretsFile {
  $comment?: string;
  secrets: Record<string, string>;
}

const FILE_COMMENT = 'Written by the Shared MCP host because settings.persistSecrets is true. Keep it mode 0600; `shared-mcp secret` changes it.';

/**
 * The host's secrets for ${secret:NAME}: in memory, pushed by editors and the CLI. With persistence on (the
 * persistSecrets setting) they are also kept in one file, mode 0600, written atomically and read at start.
 */
export class SecretStore {
  private readonly secretValues = new Map<string, string>();
  private readonly onDidChangeEmitter = new Emitter<string[]>();
  /** Names whose value was set, changed or deleted (never the values). */
  readonly onDidChange = this.onDidChangeEmitter.event;
  private persisting = false;
  private warnedUnread = false;
  /** File writes, one after the other, so the last update is the one on disk. */
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly log: SecretStoreLog,
  ) {}

  get(name: string): string | undefined {
    return this.secretValues.get(name);
  }

  has(name: string): boolean {
    return this.secretValues.has(name);
  }

  /** The names set, sorted. */
  names(): string[] {
    return [...this.secretValues.keys()].sort();
  }

  /**
   * Every value held, for the redactor (values never leave the host otherwise, except into servers). A value this
   * store forgets (changed, deleted) is still redacted: the redactor keeps every value it was given for the host's life.
   */
  values(): IterableIterator<string> {
    return this.secretValues.values();
  }

  /** Sets and deletes (names already validated); resolves with the names whose value changed, once they are on disk when persisting. */
  async update(set: Record<string, string>, remove: string[]): Promise<string[]> {
    const changed: string[] = [];
    for (const [name, value] of Object.entries(set)) {
      if (this.secretValues.get(name) === value) continue;
      this.secretValues.set(name, value);
      changed.push(name);
      if (value.length < MIN_REDACTED_CHARS) this.log.warn(`secret ${name} is shorter than ${MIN_REDACTED_CHARS} characters: it is not redacted from logs and status (too short to tell apart from ordinary text)`);
    }
    for (const name of remove) if (this.secretValues.delete(name)) changed.push(name);
    if (changed.length === 0) return changed;
    this.log.info(`secrets changed: ${changed.join(', ')}`);
    const saved = this.persisting ? this.save() : Promise.resolve();
    this.onDidChangeEmitter.fire(changed);
    await saved.catch((err: Error) => {
      throw new SharedMcpError('INTERNAL', `kept in the host's memory, but ${this.file} could not be written: ${err.message}`);
    });
    return changed;
  }

  /**
   * Turns the file on (reads it: names the memory lacks are added; then writes the union) or off (removes it;
   * the memory keeps the values until the host stops). Never throws: problems are logged.
   */
  async persist(on: boolean): Promise<void> {
    if (!on) {
      if (this.persisting) {
        this.persisting = false;
        await this.writing;
        await fs.rm(this.file, { force: true }).then(
          () => this.log.info(`settings.persistSecrets is off: removed ${this.file} (secrets stay in memory until the host stops)`),
          (err: Error) => this.log.error(`cannot remove ${this.file}: ${err.message}`),
        );
      } else if (!this.warnedUnread && (await exists(this.file))) {
        this.warnedUnread = true;
        this.log.warn(`${this.file} exists, but settings.persistSecrets is off: it is not read`);
      }
      return;
    }
    if (this.persisting) return;
    this.persisting = true;
    const loaded = Object.entries(await this.read()).filter(([name]) => !this.secretValues.has(name));
    for (const [name, value] of loaded) this.secretValues.set(name, value);
    if (loaded.length > 0) this.log.info(`read ${loaded.length} secret(s) from ${this.file}: ${loaded.map(([n]) => n).join(', ')}`);
    await this.save().catch((err: Error) => this.log.error(`cannot write ${this.file}: ${err.message}`));
    if (loaded.length > 0) this.onDidChangeEmitter.fire(loaded.map(([n]) => n));
  }

  /** Waits for the last write of the file (when persisting), then stops telling of changes; idempotent. */
  async close(): Promise<void> {
    this.onDidChangeEmitter.dispose();
    await this.writing;
  }

  /** The file's secrets; a missing file is none; a file that is not ours is moved aside (never overwritten, never lost). */
  private async read(): Promise<Record<string, string>> {
    let text: string;
    try {
      const stat = await fs.stat(this.file);
      if ((stat.mode & 0o077) !== 0) {
        await fs.chmod(this.file, 0o600);
        this.log.warn(`${this.file} was readable by others (mode ${(stat.mode & 0o777).toString(8)}): set it to 0600`);
      }
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if (!isErrnoException(err, 'ENOENT')) this.log.error(`cannot read ${this.file}: ${(err as Error).message}`);
      return {};
    }
    let parsed: SecretsFile | undefined;
    try {
      parsed = JSON.parse(text) as SecretsFile;
    } catch {
      parsed = undefined;
    }
    const secrets = parsed?.secrets;
    if (!secrets || typeof secrets !== 'object' || Array.isArray(secrets)) {
      const aside = `${this.file}.unreadable-${Date.now()}`;
      await fs.rename(this.file, aside).catch(() => undefined);
      this.log.error(`${this.file} is not a secrets file ({"secrets": {NAME: value}}): moved it to ${aside} and started a new one`);
      return {};
    }
    const good = Object.entries(secrets).filter(([name, value]) => isSecretName(name) && typeof value === 'string' && value !== '');
    const skipped = Object.keys(secrets).filter((name) => !good.some(([n]) => n === name));
    if (skipped.length > 0) this.log.warn(`${this.file}: skipped entries that are not a valid name with a non-empty string value: ${skipped.map((n) => JSON.stringify(n)).join(', ')}`);
    return Object.fromEntries(good);
  }

  private save(): Promise<void> {
    const content = `${JSON.stringify({ $comment: FILE_COMMENT, secrets: Object.fromEntries([...this.secretValues].sort(([a], [b]) => (a < b ? -1 : 1))) } satisfies SecretsFile, null, 2)}\n`;
    const next = this.writing.then(() => (this.persisting ? writeFileAtomic(this.file, content, 0o600) : undefined));
    this.writing = next.catch(() => undefined);
    return next;
  }
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}
