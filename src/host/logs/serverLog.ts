import { systemClock, type Clock, type ClockTimer } from '../../shared/clock';
import type { LogLine } from '../../shared/controlTypes';
import { escapeControlChars } from './controlChars';
import { NO_REDACTION, type TextRedactor } from './redactor';
import type { RotatingFile } from './rotatingFile';

export const LOG_RING_LINES = 1000;
export const LOG_MAX_LINE_CHARS = 16 * 1024;
/** Above this many lines in one second, lines are counted and dropped (the pipe is still drained). */
export const LOG_MAX_LINES_PER_SECOND = 2000;
const RATE_WINDOW_MS = 1000;

type Listener = (line: LogLine) => void;

export interface ServerLogOptions {
  clock?: Clock;
  /** Applied to every line before it is kept, written or shown (known secret values). */
  redactor?: TextRedactor;
}

/**
 * One server's output log: splits stream chunks into lines, keeps the last lines in memory, appends them to a
 * rotating file, and tells followers. A flooding server is rate-limited so it cannot starve the host. Every line
 * is redacted before it goes anywhere, then has its control characters escaped (one entry is one line of the file,
 * whatever text a server or a client put into it), then is cut; no cut ever splits a known secret value.
 */
export class ServerLog {
  private readonly ring: LogLine[] = [];
  private readonly partial = new Map<LogLine['stream'], string>();
  private readonly listeners = new Set<Listener>();
  private readonly clock: Clock;
  private readonly redactor: TextRedactor;
  private windowStart = -Infinity;
  private windowLines = 0;
  private dropped = 0;
  private dropNote: ClockTimer | undefined;

  constructor(
    private readonly file: RotatingFile,
    options: ServerLogOptions = {},
  ) {
    this.clock = options.clock ?? systemClock;
    this.redactor = options.redactor ?? NO_REDACTION;
  }

  /** Feeds a raw chunk of a stream; complete lines are recorded. */
  append(stream: LogLine['stream'], chunk: string): void {
    let text = (this.partial.get(stream) ?? '') + chunk;
    let nl: number;
    while ((nl = text.indexOf('\n')) >= 0) {
      this.line(stream, text.slice(0, nl).replace(/\r$/, ''));
      text = text.slice(nl + 1);
    }
    // An endless line is written in parts; what may be the start of a secret that the next chunk completes stays.
    const keep = Math.max(0, this.redactor.longestMatchChars() - 1);
    if (text.length > LOG_MAX_LINE_CHARS + keep) {
      const cut = this.redactor.safeCut(text, text.length - keep);
      if (cut > 0) {
        this.line(stream, text.slice(0, cut));
        text = text.slice(cut);
      }
    }
    this.partial.set(stream, text);
  }

  /** Records one whole line (used for the host's own notes about the server); cut at maxChars. */
  line(stream: LogLine['stream'], text: string, maxChars = LOG_MAX_LINE_CHARS): void {
    const now = this.clock.now();
    if (now - this.windowStart >= RATE_WINDOW_MS) {
      this.noteDropped();
      this.windowStart = now;
      this.windowLines = 0;
    }
    if (++this.windowLines > LOG_MAX_LINES_PER_SECOND && stream !== 'host') {
      // A server that floods and then falls silent still gets its note, when the second is over.
      if (this.dropped++ === 0) this.dropNote = this.clock.setTimeout(() => this.noteDropped(), this.windowStart + RATE_WINDOW_MS - now).unref();
      return;
    }
    this.record({ time: new Date(now).toISOString(), stream, text: this.clean(text, maxChars) });
  }

  /**
   * Redacted, escaped, then cut at maxChars. Only the part that can show is redacted (a 30 MB line costs no 30 MB
   * scan): it ends at a cut that splits no secret, with enough text after it to tell.
   */
  private clean(text: string, maxChars: number): string {
    const window = text.slice(0, maxChars + Math.max(0, this.redactor.longestMatchChars() - 1));
    const shown = window.length < text.length ? window.slice(0, this.redactor.safeCut(window, maxChars)) : text;
    const clean = escapeControlChars(this.redactor.redact(shown));
    return clean.length > maxChars || shown.length < text.length ? `${clean.slice(0, maxChars)}…` : clean;
  }

  private noteDropped(): void {
    this.clock.clearTimeout(this.dropNote);
    this.dropNote = undefined;
    if (this.dropped === 0) return;
    const n = this.dropped;
    this.dropped = 0;
    this.record({ time: new Date(this.clock.now()).toISOString(), stream: 'host', text: `[${n} lines dropped: more than ${LOG_MAX_LINES_PER_SECOND} lines/s]` });
  }

  /** The last n lines (all kept lines when n is omitted). */
  tail(n = LOG_RING_LINES): LogLine[] {
    return this.ring.slice(Math.max(0, this.ring.length - n));
  }

  /** The last n lines of one stream, e.g. stderr for a crash reason. */
  tailOf(stream: LogLine['stream'], n: number): string[] {
    const out: string[] = [];
    for (let i = this.ring.length - 1; i >= 0 && out.length < n; i--) if (this.ring[i].stream === stream && this.ring[i].text.trim() !== '') out.unshift(this.ring[i].text);
    return out;
  }

  follow(listener: Listener): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  close(): void {
    this.clock.clearTimeout(this.dropNote);
    this.dropNote = undefined;
    this.listeners.clear();
    this.file.close();
  }

  private record(entry: LogLine): void {
    this.ring.push(entry);
    if (this.ring.length > LOG_RING_LINES) this.ring.splice(0, this.ring.length - LOG_RING_LINES);
    this.file.write(`${entry.time} [${entry.stream}] ${entry.text}\n`);
    for (const l of this.listeners) {
      try {
        l(entry);
      } catch {
        // a follower that fails (a closed stream) must not stop the log, nor the server that writes it
      }
    }
  }
}
