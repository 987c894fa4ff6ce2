export const MAX_BACKOFF_MS = 30_000;
/** Crashes counted against maxRestarts fall out of this window. */
export const CRASH_WINDOW_MS = 10 * 60_000;
/** A process that ran this long resets the backoff to restartDelay. */
export const STABLE_RUN_MS = 60_000;

export type RestartDecision = { giveUp: true; crashes: number } | { giveUp: false; delayMs: number };

/** When to restart a crashed server: exponential backoff from restartDelay, and a crash loop is given up on. */
export class RestartPolicy {
  private crashTimes: number[] = [];
  private step = 0;

  constructor(
    private restartDelayMs: number,
    private maxRestarts: number,
  ) {}

  /** New limits from a config reload; the crash history and the backoff step are kept. */
  configure(restartDelayMs: number, maxRestarts: number): void {
    this.restartDelayMs = restartDelayMs;
    this.maxRestarts = maxRestarts;
  }

  /** Records a crash at `now` of a process that started at `startedAt` (if it ever ran) and decides what follows. */
  onCrash(now: number, startedAt: number | undefined): RestartDecision {
    this.crashTimes = this.crashTimes.filter((t) => now - t < CRASH_WINDOW_MS);
    this.crashTimes.push(now);
    if (this.crashTimes.length > this.maxRestarts) return { giveUp: true, crashes: this.crashTimes.length };
    if (startedAt !== undefined && now - startedAt >= STABLE_RUN_MS) this.step = 0;
    const delayMs = Math.min(this.restartDelayMs * 2 ** this.step, MAX_BACKOFF_MS);
    this.step++;
    return { giveUp: false, delayMs };
  }

  /** Forgets the crash history (a manual start). */
  reset(): void {
    this.crashTimes = [];
    this.step = 0;
  }
}
