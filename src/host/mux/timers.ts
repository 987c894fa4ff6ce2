import { SharedMcpError } from '../../shared/errors';
import { formatTimeout } from '../../shared/units';
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

/** The promise's value, or a TIMEOUT error once ms have passed (on the given timers, so a test's clock drives it too). */
export function withDeadline<T>(timers: Timers, promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = timers.start(ms, () => reject(new SharedMcpError('TIMEOUT', `no answer within ${timeoutText(ms)}`)));
    promise.then(
      (v) => (timer.cancel(), resolve(v)),
      (e: unknown) => (timer.cancel(), reject(e)),
    );
  });
}

/** How a timeout reads in a message (one way everywhere: shared/units). */
export const timeoutText = formatTimeout;
