import * as fs from 'node:fs';

export const LOG_MAX_BYTES = 5 * 1024 * 1024;
export const LOG_KEEP_FILES = 3;

/** An append-only log file rotated by size: file, file.1 … file.N (oldest dropped). Writes are synchronous and small. */
export class RotatingFile {
  private fd: number | undefined;
  private size = 0;
  private closed = false;
  /** A write failed and nobody was told since the last write that worked. */
  private failing = false;

  constructor(
    private readonly file: string,
    private readonly maxBytes = LOG_MAX_BYTES,
    private readonly keep = LOG_KEEP_FILES,
    /** Told once when writes start failing (and again only after one worked meanwhile). */
    private readonly onWriteError?: (file: string, err: Error) => void,
  ) {}

  write(text: string): void {
    if (this.closed) return;
    try {
      if (this.fd === undefined) this.open();
      const bytes = Buffer.byteLength(text);
      if (this.size + bytes > this.maxBytes && this.size > 0) this.rotate();
      fs.writeSync(this.fd as number, text);
      this.size += bytes;
      this.failing = false;
    } catch (err) {
      // A full disk or a removed folder must never take a server down with it; drop the line.
      this.closeFd();
      if (this.failing) return;
      this.failing = true;
      try {
        this.onWriteError?.(this.file, err as Error);
      } catch {
        // whoever listens must not turn a log problem into a crash
      }
    }
  }

  close(): void {
    this.closed = true;
    this.closeFd();
  }

  private open(): void {
    this.fd = fs.openSync(this.file, 'a', 0o600);
    this.size = fs.fstatSync(this.fd).size;
  }

  private rotate(): void {
    this.closeFd();
    for (let i = this.keep - 1; i >= 1; i--) {
      try {
        fs.renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      } catch {
        // that generation does not exist yet
      }
    }
    fs.renameSync(this.file, `${this.file}.1`);
    this.open();
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = undefined;
  }
}
