import type { Clock, ClockTimer } from '../../shared/clock';
import type { ServerDefinition } from '../../shared/config/configTypes';
import { RestartPolicy, type RestartDecision } from './restartPolicy';

type Limits = Pick<ServerDefinition, 'restartDelayMs' | 'maxRestarts'>;

/** A supervisor's restarts after crashes: the policy's decisions, the one timer waiting for the next start, and the count. */
export class RestartSchedule {
  /** Restarts since the host started or the last manual start. */
  restarts = 0;
  private policy: RestartPolicy;
  private timer: ClockTimer | undefined;

  constructor(
    limits: Limits,
    private readonly clock: Clock,
  ) {
    this.policy = new RestartPolicy(limits.restartDelayMs, limits.maxRestarts);
  }

  /**
   * A crash now, of a process that started at `startedAt`: gives up, or calls `restart` after the backoff (unless
   * cancelled first). `restart` returns false when it is no longer wanted (then it is not counted).
   */
  afterCrash(startedAt: number | undefined, restart: () => boolean): RestartDecision {
    this.cancel();
    const decision = this.policy.onCrash(this.clock.now(), startedAt);
    if (decision.giveUp) return decision;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (restart()) this.restarts++;
    }, decision.delayMs);
    return decision;
  }

  cancel(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** A manual start: the crash history and the count start over. */
  reset(): void {
    this.policy.reset();
    this.restarts = 0;
  }

  /** New limits from a reload applied in place: the crash history is kept. */
  configure(limits: Limits): void {
    this.policy.configure(limits.restartDelayMs, limits.maxRestarts);
  }

  /** A new definition that restarts the server: a new policy. */
  replace(limits: Limits): void {
    this.policy = new RestartPolicy(limits.restartDelayMs, limits.maxRestarts);
  }
}
