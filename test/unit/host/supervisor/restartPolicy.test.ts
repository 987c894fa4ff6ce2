import { strict as assert } from 'node:assert';
import { CRASH_WINDOW_MS, MAX_BACKOFF_MS, RestartPolicy, STABLE_RUN_MS } from '../../../../src/host/supervisor/restartPolicy';

const delay = (d: ReturnType<RestartPolicy['onCrash']>): number => (d.giveUp ? -1 : d.delayMs);

describe('RestartPolicy', () => {
  it('doubles from restartDelay up to the 30 s cap', () => {
    const p = new RestartPolicy(1000, 100);
    const delays = Array.from({ length: 8 }, (_, i) => delay(p.onCrash(i, undefined)));
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, MAX_BACKOFF_MS, MAX_BACKOFF_MS, MAX_BACKOFF_MS]);
  });

  it('starts over after a stable run', () => {
    const p = new RestartPolicy(100, 100);
    p.onCrash(0, undefined);
    p.onCrash(1, undefined);
    assert.equal(delay(p.onCrash(2 + STABLE_RUN_MS - 1, 2)), 400);
    assert.equal(delay(p.onCrash(10 * STABLE_RUN_MS, 5 * STABLE_RUN_MS)), 100);
  });

  it('gives up past maxRestarts within the window, and forgets crashes older than the window', () => {
    const p = new RestartPolicy(100, 2);
    assert.equal(p.onCrash(0, undefined).giveUp, false);
    assert.equal(p.onCrash(1, undefined).giveUp, false);
    assert.deepEqual(p.onCrash(2, undefined), { giveUp: true, crashes: 3 });
    const q = new RestartPolicy(100, 2);
    q.onCrash(0, undefined);
    q.onCrash(1, undefined);
    assert.equal(q.onCrash(CRASH_WINDOW_MS + 1, undefined).giveUp, false);
  });

  it('reset forgets everything; configure keeps the history under new limits', () => {
    const p = new RestartPolicy(100, 5);
    p.onCrash(0, undefined);
    p.onCrash(1, undefined);
    p.configure(50, 2);
    assert.equal(p.onCrash(2, undefined).giveUp, true);
    p.reset();
    assert.equal(delay(p.onCrash(3, undefined)), 50);
  });
});
