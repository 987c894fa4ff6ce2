import type { LogLevel } from '../../shared/config/configTypes';
import { escapeControlChars } from './controlChars';
import { RotatingFile } from './rotatingFile';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, none: 100 };

/**
 * The host's own log: logs/host.log (rotated), and stderr when the host runs in a terminal. Every message is
 * redacted, then has its control characters escaped: one message is one line, whatever a client or a server put
 * into it (a clientInfo name, an error's text; a stack trace too, as `\n` escapes).
 */
export class HostLogger {
  constructor(
    private readonly file: RotatingFile,
    private level: LogLevel,
    private readonly echo: boolean,
    /** Applied to every message before it is written (known secret values). */
    private readonly redact: (text: string) => string = (text) => text,
  ) {}

  setLevel(level: LogLevel): void {
    this.level = level;
  }

  debug(msg: string): void {
    this.log('debug', msg);
  }
  info(msg: string): void {
    this.log('info', msg);
  }
  warn(msg: string): void {
    this.log('warn', msg);
  }
  error(msg: string): void {
    this.log('error', msg);
  }

  close(): void {
    this.file.close();
  }

  private log(level: LogLevel, msg: string): void {
    if (RANK[level] < RANK[this.level]) return;
    const line = `${new Date().toISOString()} ${level.padEnd(5)} ${escapeControlChars(this.redact(msg))}\n`;
    this.file.write(line);
    if (this.echo) process.stderr.write(line);
  }
}
