/** Counts down while a running server has no session; fires once when it has been idle for the whole period. */
export class IdleTimer {
  private timer: NodeJS.Timeout | undefined;
  private sessions = 0;

  constructor(private readonly onIdle: (idleMs: number) => void) {}

  /** Restarts the countdown when the server runs with no session and has an idle timeout; cancels it otherwise. */
  update(idleMs: number | undefined, running: boolean, sessions = this.sessions): void {
    this.sessions = sessions;
    this.cancel();
    if (!idleMs || sessions > 0 || !running) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onIdle(idleMs);
    }, idleMs);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
