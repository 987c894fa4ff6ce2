import { MAX_TIMER_MS } from '../backends/rpcChannel';

/** A deadline that can start over (progress) or be called off. */
export interface Timer {
  /** Starts the same wait again from now. */
  refresh(): void;
  cancel(): void;
}

/** Where the mux gets its deadlines: real timers in the host, a clock the test moves in unit tests. */
export interface Timers {
  start(ms: number, onExpiry: () => void): Timer;
}

/** Node's timers, unref'd (a pending deadline never keeps a process alive), clamped to what setTimeout can wait. */
export const REAL_TIMERS: Timers = {
  start(ms, onExpiry) {
    const t = setTimeout(onExpiry, Math.min(Math.max(ms, 1), MAX_TIMER_MS));
    t.unref();
    return { refresh: () => void t.refresh(), cancel: () => clearTimeout(t) };
  },
};

/** "250 ms", "2s", "10m": how a timeout reads in an error message. */
export function timeoutText(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 100) / 10}s`;
}
