/**
 * Orders the stops and starts of one server: stops run one after another and are counted, and backends on their
 * way out are tracked, so a start can wait until nothing of the old process is left and see whether a stop was
 * requested after it.
 */
export class StopGate {
  private running: Promise<void> | undefined;
  private count = 0;
  private readonly closing = new Set<Promise<void>>();

  /** How many stops were ever requested. */
  get requested(): number {
    return this.count;
  }

  /** True while a backend is still closing. */
  get closingAny(): boolean {
    return this.closing.size > 0;
  }

  /** Counts a stop and runs it after any earlier one (`stop` receives that earlier stop to await). */
  stop(run: (previous: Promise<void> | undefined) => Promise<void>): Promise<void> {
    this.count++;
    const p = run(this.running);
    this.running = p;
    // Both ways: a rejected stop is its caller's to handle; here it only must not linger as "running".
    const clear = (): void => {
      if (this.running === p) this.running = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  /** Tracks a backend's close until it settles (the caller handles a rejection; the gate only waits for it). */
  track(closing: Promise<void>): Promise<void> {
    const p = closing.finally(() => this.closing.delete(p));
    this.closing.add(p);
    return p;
  }

  /** Resolves when every tracked close has settled, however it settled. */
  async allClosed(): Promise<void> {
    while (this.closing.size > 0) await Promise.allSettled(this.closing);
  }

  /** Resolves when no stop runs and nothing is closing; a failed earlier stop does not fail what waits for it. */
  async quiet(): Promise<void> {
    while (this.running || this.closing.size > 0) await Promise.allSettled(this.running ? [this.running] : this.closing);
  }
}
