import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls probe until it returns something other than undefined or false, and returns that; throws naming `what`
 * after timeoutMs. For conditions the test can observe (status fields, fixture counters, received messages), never
 * for "it has happened by now".
 */
export async function until<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 15_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(everyMs);
  }
}
