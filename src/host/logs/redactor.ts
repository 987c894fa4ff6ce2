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

/**
 * Replaces every known secret value in text the host stores or shows (log lines, lastError, state reasons). Owned
 * by the host, fed by sources; the pattern is rebuilt only when a source changes.
 */
export class Redactor {
  private readonly sources = new Map<RedactionSource, Disposable>();
  /** undefined: to be rebuilt; null: nothing to redact. */
  private pattern: RegExp | null | undefined = null;

  addSource(source: RedactionSource): Disposable {
    this.sources.set(source, source.onDidChange(() => (this.pattern = undefined)));
    this.pattern = undefined;
    return {
      dispose: () => {
        this.sources.get(source)?.dispose();
        this.sources.delete(source);
        this.pattern = undefined;
      },
    };
  }

  redact(text: string): string {
    if (this.pattern === undefined) this.pattern = this.build();
    return this.pattern === null ? text : text.replace(this.pattern, REDACTED);
  }

  dispose(): void {
    for (const d of this.sources.values()) d.dispose();
    this.sources.clear();
    this.pattern = null;
  }

  private build(): RegExp | null {
    const values = new Set<string>();
    for (const source of this.sources.keys()) {
      for (const value of source.values()) {
        if (value.length < MIN_REDACTED_CHARS) continue;
        values.add(value);
        // As it appears inside JSON text (a server that logs its config, an error body quoted in a reason).
        const quoted = JSON.stringify(value).slice(1, -1);
        if (quoted !== value) values.add(quoted);
      }
    }
    if (values.size === 0) return null;
    // Longest first: a secret that contains another is replaced whole.
    const alternatives = [...values].sort((a, b) => b.length - a.length).map(escapeRegExp);
    return new RegExp(alternatives.join('|'), 'g');
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
