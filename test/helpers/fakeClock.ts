import type { Clock, ClockTimer } from '../../src/shared/clock';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** A Clock whose time moves only when a test says so; due timers run in order of their due time. */
export class FakeClock implements Clock {
  private time: number;
  private seq = 0;
  private readonly timers = new Map<ClockTimer, Pending>();

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): ClockTimer {
    const timer: ClockTimer = { unref: () => timer };
    this.timers.set(timer, { at: this.time + Math.max(0, ms), seq: this.seq++, fn });
    return timer;
  }

  clearTimeout(timer: ClockTimer | undefined): void {
    if (timer) this.timers.delete(timer);
  }

  /** How many timers wait to fire. */
  get pending(): number {
    return this.timers.size;
  }

  /** The delays (from now) of the waiting timers, soonest first. */
  delays(): number[] {
    return [...this.timers.values()].map((p) => p.at - this.time).sort((a, b) => a - b);
  }

  /** Moves time forward by ms, running every timer that falls due on the way (and timers those set, if due). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = this.nextDue(end);
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].fn();
    }
    this.time = end;
  }

  /** Runs the soonest timer, whenever it is due; false when none waits. */
  runNext(): boolean {
    const next = this.nextDue(Infinity);
    if (!next) return false;
    this.timers.delete(next[0]);
    this.time = Math.max(this.time, next[1].at);
    next[1].fn();
    return true;
  }

  private nextDue(end: number): [ClockTimer, Pending] | undefined {
    let best: [ClockTimer, Pending] | undefined;
    for (const entry of this.timers) {
      if (entry[1].at > end) continue;
      if (!best || entry[1].at < best[1].at || (entry[1].at === best[1].at && entry[1].seq < best[1].seq)) best = entry;
    }
    return best;
  }
}
