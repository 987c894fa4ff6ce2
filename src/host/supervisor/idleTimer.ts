import { systemClock, type Clock, type ClockTimer } from '../../shared/clock';

/** Counts down while a running server has no session; fires once when it has been idle for the whole period. */
export class IdleTimer {
  private timer: ClockTimer | undefined;
  private sessions = 0;

  constructor(
    private readonly onIdle: (idleMs: number) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Restarts the countdown when the server runs with no session and has an idle timeout; cancels it otherwise. */
  update(idleMs: number | undefined, running: boolean, sessions = this.sessions): void {
    this.sessions = sessions;
    this.cancel();
    if (!idleMs || sessions > 0 || !running) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.onIdle(idleMs);
    }, idleMs);
  }

  cancel(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
