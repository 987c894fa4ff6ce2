import { promises as fs } from 'node:fs';
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { ClientId } from '../../shared/clients/clientTargets';
import { isErrnoException } from '../../shared/errors';
import { makeDir } from '../../shared/fsErrors';
import { writeFileAtomic } from '../../shared/registry';

/** One entry we wrote into a client file. */
export interface LedgerEntry {
  /** Exactly what we wrote: the entry is still ours only while the file holds this. */
  written: unknown;
  /** The user's own entry of that name that we replaced (import --replace, sync --force): unsync puts it back. */
  original?: { value: unknown; text: string };
}

export interface ClientLedger {
  file: string;
  entries: Record<string, LedgerEntry>;
  /** sha256 of what we last wrote: while the file still hashes to it, nobody else has written it since. */
  lastWrittenSha?: string;
  /**
   * The file as it was before our first entry went in (a file in the baselines folder, or 'absent'): when the last of
   * our entries goes and nobody else wrote in between, these bytes come back exactly.
   */
  baseline?: string;
  /** We created the server table itself, so it goes again with our last entry. */
  createdContainer?: boolean;
  /** Entries of ours the user changed: theirs for good, never taken back as ours (while they exist). */
  released?: string[];
}

export interface LedgerData {
  version: 1;
  /** After `unsync`, automatic syncs wait for the next explicit `sync`. */
  paused: boolean;
  /** Clients taken out with `unsync --client`: automatic syncs leave them alone until a sync names them. */
  pausedClients?: ClientId[];
  clients: Partial<Record<ClientId, ClientLedger>>;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The sync ledger in home/state: which client entries are ours, and how to give each file back. */
export class SyncLedger {
  constructor(
    private readonly file: string,
    private readonly baselineDir: string,
  ) {}

  /** The ledger; a missing file is an empty one, an unreadable one is set aside (our entries are then known by our token). */
  async load(onCorrupt: (message: string) => void): Promise<LedgerData> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if (isErrnoException(err, 'ENOENT')) return empty();
      throw err;
    }
    try {
      const data = JSON.parse(text) as LedgerData;
      if (data.version === 1 && data.clients && typeof data.clients === 'object') return data;
    } catch {
      // fall through
    }
    const aside = `${this.file}.corrupt-${Date.now()}`;
    await fs.rename(this.file, aside).catch(() => undefined);
    onCorrupt(`the sync ledger was unreadable and was moved to ${aside}; entries of the host's are recognized by its token, user entries it replaced can no longer be put back (see state/backups)`);
    return empty();
  }

  async save(data: LedgerData): Promise<void> {
    await writeFileAtomic(this.file, `${JSON.stringify(data, null, 2)}\n`, 0o600);
  }

  /**
   * Keeps the bytes of a client file as it was before any entry of ours: a second name for the backup taken just before
   * our first write (a hard link costs nothing, even for 20 MB); 'absent' when there was no file.
   */
  async saveBaseline(client: ClientId, backup: string | undefined): Promise<string> {
    if (backup === undefined) return 'absent';
    await makeDir(this.baselineDir, 0o700);
    const name = `${client}-${Date.now()}`;
    const target = path.join(this.baselineDir, name);
    await fs.link(backup, target).catch(() => fs.copyFile(backup, target));
    return name;
  }

  /** A baseline's text; undefined for 'absent' (the file did not exist); null when it is lost. */
  async readBaseline(name: string): Promise<string | undefined | null> {
    if (name === 'absent') return undefined;
    return fs.readFile(path.join(this.baselineDir, path.basename(name)), 'utf8').catch(() => null);
  }

  async dropBaseline(name: string | undefined): Promise<void> {
    if (name && name !== 'absent') await fs.rm(path.join(this.baselineDir, path.basename(name)), { force: true });
  }
}

function empty(): LedgerData {
  return { version: 1, paused: false, clients: {} };
}
