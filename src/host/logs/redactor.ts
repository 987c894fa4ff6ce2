import type { Disposable, Event } from '../../shared/emitter';

/**
 * The shortest value that is redacted. Shorter "secrets" (a port, "true", a 4-digit PIN) occur in ordinary output
 * so often that replacing them would garble every line while hiding nothing: a value that short is guessed, not
 * leaked. Every credential format services issue (API keys, OAuth tokens) is far longer, and 8 is NIST's minimum
 * for a memorized secret. The secret store warns when a shorter value is set.
 */
export const MIN_REDACTED_CHARS = 8;
export const REDACTED = '[redacted]';

/** Values that must never be shown (secrets, later OAuth tokens), and an event when they change. */
export interface RedactionSource {
  values(): Iterable<string>;
  readonly onDidChange: Event<unknown>;
}

/** What keeps known values out of text, and where text may be cut without splitting one. */
export interface TextRedactor {
  redact(text: string): string;
  /** The longest text one replacement covers; 0 when nothing is redacted. */
  longestMatchChars(): number;
  /**
   * The largest index ≤ at where text can be cut with no known value split between the parts, provided the text
   * goes on for at least longestMatchChars() − 1 characters after at (or ends): then each part redacts as the whole.
   */
  safeCut(text: string, at: number): number;
}

/** For logs nobody feeds secrets to (tests, tools). */
export const NO_REDACTION: TextRedactor = { redact: (text) => text, longestMatchChars: () => 0, safeCut: (_text, at) => at };

/**
 * Replaces every known secret value in text the host stores or shows (log lines, lastError, state reasons, errors
 * for clients). Owned by the host, fed by sources; the pattern is rebuilt only when a new value comes.
 *
 * A value a source stops listing (a secret changed or deleted) is still redacted for as long as this redactor lives,
 * which is the host's lifetime: whatever was started with the old value can still print it (a server in its stop
 * grace, a per-session process, a grandchild that outlived its parent, a remote that was sent it), and the host
 * cannot tell when the last of them is gone. A host restart stops every one of them, so nothing needs to be kept
 * beyond it, and the set only grows when a user replaces a value.
 */
export class Redactor implements TextRedactor {
  private readonly sources = new Map<RedactionSource, Disposable>();
  /** Every value any source has listed, current or retired. */
  private readonly known = new Set<string>();
  /** undefined: to be rebuilt; null: nothing to redact. */
  private pattern: RegExp | null | undefined = null;
  private longest = 0;

  addSource(source: RedactionSource): Disposable {
    // Read at once on every change, not when the pattern is next needed: a value replaced before then is still known.
    this.sources.set(source, source.onDidChange(() => this.learn(source)));
    this.learn(source);
    return {
      dispose: () => {
        this.sources.get(source)?.dispose();
        this.sources.delete(source);
      },
    };
  }

  redact(text: string): string {
    const pattern = this.current();
    return pattern === null ? text : text.replace(pattern, REDACTED);
  }

  longestMatchChars(): number {
    this.current();
    return this.longest;
  }

  safeCut(text: string, at: number): number {
    const pattern = this.current();
    if (pattern === null) return at;
    pattern.lastIndex = 0;
    try {
      // The matches redact() would make, left to right: the first one that reaches past `at` decides.
      for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
        if (m.index >= at) return at;
        if (m.index + m[0].length > at) return m.index;
      }
      return at;
    } finally {
      pattern.lastIndex = 0;
    }
  }

  /** Stops following the sources; every value known so far is still redacted. */
  dispose(): void {
    for (const d of this.sources.values()) d.dispose();
    this.sources.clear();
  }

  private learn(source: RedactionSource): void {
    for (const value of source.values()) {
      if (value.length < MIN_REDACTED_CHARS || this.known.has(value)) continue;
      this.known.add(value);
      this.pattern = undefined;
    }
  }

  private current(): RegExp | null {
    if (this.pattern === undefined) this.pattern = this.build();
    return this.pattern;
  }

  private build(): RegExp | null {
    const values = new Set<string>();
    for (const value of this.known) {
      values.add(value);
      // As it appears inside JSON text (a server that logs its config, an error body quoted in a reason).
      values.add(JSON.stringify(value).slice(1, -1));
      // A multi-line value (a PEM key) printed to a log arrives there one line at a time.
      for (const line of value.split(/\r\n|\r|\n/)) if (line.length >= MIN_REDACTED_CHARS) values.add(line);
    }
    if (values.size === 0) return null;
    // Longest first: a secret that contains another is replaced whole.
    const alternatives = [...values].sort((a, b) => b.length - a.length);
    this.longest = alternatives[0].length;
    return new RegExp(alternatives.map(escapeRegExp).join('|'), 'g');
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
