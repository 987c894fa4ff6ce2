import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { detach } from '../../shared/detach';
import { isErrnoException, toSharedMcpError } from '../../shared/errors';
import { writeFileAtomic } from '../../shared/registry';
import type { SessionRecord } from './clientSession';

/** Records not used for this long are forgotten: the client is surely gone. */
export const SESSION_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** At most this many records are kept (the most recently active). */
export const MAX_STORED_SESSIONS = 5000;
const WRITE_DEBOUNCE_MS = 200;

/**
 * Sessions on disk (home/state/sessions.json), so that after a host restart a request with a known session id is
 * served by a session recreated under that id. Writes are debounced and atomic; a damaged file is ignored. Each
 * write stands alone: a record that cannot be serialized is left out (and logged once), a write that fails is
 * logged, and neither stops the writes after it.
 */
export class SessionStore {
  private records = new Map<string, SessionRecord>();
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();
  /** The last write failure logged, so a lasting one (a full disk) is one line, not one per write. */
  private lastFailure: string | undefined;

  constructor(
    private readonly file: string,
    private readonly log: (message: string) => void = () => undefined,
  ) {}

  /** Reads the file; a missing or damaged one gives an empty store. */
  async load(now = Date.now()): Promise<void> {
    try {
      const data = JSON.parse(await fs.readFile(this.file, 'utf8')) as { sessions?: SessionRecord[] };
      for (const r of data.sessions ?? []) {
        if (typeof r?.id === 'string' && typeof r.endpoint === 'string' && r.init && now - (r.lastActivity ?? 0) < SESSION_RETENTION_MS) this.records.set(r.id, r);
      }
    } catch {
      this.records.clear();
    }
  }

  get(id: string): SessionRecord | undefined {
    return this.records.get(id);
  }

  put(record: SessionRecord): void {
    this.records.set(record.id, record);
    this.schedule();
  }

  delete(id: string): void {
    if (this.records.delete(id)) this.schedule();
  }

  /** Forgets every record of an endpoint (its server was removed from the config). */
  deleteEndpoint(endpoint: string): void {
    for (const [id, r] of this.records) if (r.endpoint === endpoint) this.records.delete(id);
    this.schedule();
  }

  /** Writes now (at shutdown). */
  async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.dirty = false;
    await this.write();
  }

  /** Writes at once when the file is quiet (a new session should survive a host killed right after), else once per window. */
  private schedule(): void {
    if (this.timer) {
      this.dirty = true;
      return;
    }
    detach(this.write(), (err) => this.log(`could not write ${this.file}: ${toSharedMcpError(err).message}`));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) this.schedule();
    }, WRITE_DEBOUNCE_MS);
    this.timer.unref();
    this.dirty = false;
  }

  /** Queues a write after the ones before it; never rejects. */
  private write(): Promise<void> {
    // The catch keeps the chain whole even if logging itself throws.
    this.writing = this.writing.then(() => this.writeNow()).catch(() => undefined);
    return this.writing;
  }

  private async writeNow(): Promise<void> {
    try {
      await writeFileAtomic(this.file, this.serialize(), 0o600);
      this.lastFailure = undefined;
    } catch (err) {
      // The message names a random temp file: the errno code tells one failure from another.
      const key = isErrnoException(err) ? err.code : toSharedMcpError(err).message;
      if (key !== this.lastFailure) this.log(`could not write ${this.file}: ${toSharedMcpError(err).message}`);
      this.lastFailure = key;
    }
  }

  /** The file's text, the same as JSON.stringify({ version, sessions }), each record serialized on its own. */
  private serialize(): string {
    const sessions = [...this.records.values()].sort((a, b) => b.lastActivity - a.lastActivity).slice(0, MAX_STORED_SESSIONS);
    const parts: string[] = [];
    for (const r of sessions) {
      try {
        parts.push(JSON.stringify(r));
      } catch (err) {
        // It never will be (too deep, a cycle): forget it, so it is reported once and later writes are whole.
        this.records.delete(r.id);
        this.log(`${path.basename(this.file)}: session ${String(r.id).slice(0, 8)} left out, it cannot be saved: ${toSharedMcpError(err).message}`);
      }
    }
    return `{"version":1,"sessions":[${parts.join(',')}]}\n`;
  }
}
