import { promises as fs } from 'node:fs';
import { writeFileAtomic } from '../../shared/registry';
import type { SessionRecord } from './clientSession';

/** Records not used for this long are forgotten: the client is surely gone. */
export const SESSION_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** At most this many records are kept (the most recently active). */
export const MAX_STORED_SESSIONS = 5000;
const WRITE_DEBOUNCE_MS = 200;

/**
 * Sessions on disk (home/state/sessions.json), so that after a host restart a request with a known session id is
 * served by a session recreated under that id. Writes are debounced and atomic; a damaged file is ignored.
 */
export class SessionStore {
  private records = new Map<string, SessionRecord>();
  private timer: NodeJS.Timeout | undefined;
  private dirty = false;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly file: string) {}

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
    void this.write();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.dirty) this.schedule();
    }, WRITE_DEBOUNCE_MS);
    this.timer.unref();
    this.dirty = false;
  }

  private write(): Promise<void> {
    this.writing = this.writing.then(async () => {
      const sessions = [...this.records.values()].sort((a, b) => b.lastActivity - a.lastActivity).slice(0, MAX_STORED_SESSIONS);
      await writeFileAtomic(this.file, `${JSON.stringify({ version: 1, sessions })}\n`, 0o600).catch(() => undefined);
    });
    return this.writing;
  }
}
