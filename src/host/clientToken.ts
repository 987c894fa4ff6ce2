import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { isErrnoException } from '../shared/errors';
import { writeFileAtomic } from '../shared/registry';
import { BearerToken } from './http/bearerToken';

export interface ClientTokenLog {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

/**
 * The bearer token every MCP client sends. Its one owner is the running host, which holds it in memory: requests are
 * checked against that, sync writes that, and the control API hands that to the CLI and the editors. home/token is
 * only its published copy, written back from memory when it goes missing, empty or changed.
 */
export class ClientToken {
  private readonly bearer: BearerToken;

  private constructor(
    readonly value: string,
    private readonly file: string,
    private readonly log: ClientTokenLog,
  ) {
    this.bearer = new BearerToken(value);
  }

  /** Reads home/token; a missing or empty file gets a new token (an empty one is no token at all). */
  static async load(file: string, log: ClientTokenLog): Promise<ClientToken> {
    const text = await fs.readFile(file, 'utf8').catch((err: unknown) => {
      if (isErrnoException(err, 'ENOENT')) return '';
      throw err;
    });
    const existing = text.trim();
    if (existing !== '') return new ClientToken(existing, file, log);
    if (text !== '') log.warn(`${file} was empty: made a new client token (client configs are synced with it)`);
    const token = new ClientToken(randomBytes(32).toString('hex'), file, log);
    await token.publish();
    return token;
  }

  /** Whether an Authorization header carries this token (constant time). */
  matches(header: string | undefined): boolean {
    return this.bearer.matches(header);
  }

  /** Puts home/token back as memory holds it when it is gone or not the same; never throws (problems are logged). */
  async restore(): Promise<void> {
    const text = await fs.readFile(this.file, 'utf8').catch(() => undefined);
    if (text !== undefined && text.trim() === this.value) return;
    if (text !== undefined && text.trim() !== '') this.log.warn(`${this.file} was changed: the running host keeps its token and wrote it back (for a new one: stop the host, delete the file, start the host)`);
    else this.log.info(`${this.file} was ${text === undefined ? 'removed' : 'emptied'}: wrote the host's token back`);
    await this.publish().catch((err: Error) => this.log.error(`cannot write ${this.file}: ${err.message}`));
  }

  private publish(): Promise<void> {
    return writeFileAtomic(this.file, `${this.value}\n`, 0o600);
  }
}
