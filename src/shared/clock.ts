/** Time and timers, injectable so that backoff, windows and rate limits can be tested without waiting. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): ClockTimer;
  clearTimeout(timer: ClockTimer | undefined): void;
}

/** What setTimeout returns: only unref() is used (a pending timer must not keep a process alive on its own). */
export interface ClockTimer {
  unref(): ClockTimer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout | undefined),
};
