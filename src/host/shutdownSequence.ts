import { toSharedMcpError } from '../shared/errors';
import { formatTimeout } from '../shared/units';

/** A step of the host's shutdown; steps run one after another, in the order given. */
export interface ShutdownStep {
  /** What the step does, for the log ("stop servers"). */
  name: string;
  run(): Promise<void> | void;
  /** How long the step may take before the next one runs anyway; it keeps running in the background then. */
  timeoutMs: number;
}

export interface ShutdownLog {
  info(message: string): void;
  error(message: string): void;
}

/**
 * Runs every step, each on its own: a step that throws, rejects or outlives its deadline is logged and the next one
 * runs all the same, so a shutdown can never stop halfway (listening, host.json still claimed, every action refused).
 * Resolves with the names of the steps that did not finish; never rejects.
 */
export async function runShutdown(steps: readonly ShutdownStep[], log: ShutdownLog): Promise<string[]> {
  const failed: string[] = [];
  for (const step of steps) {
    const outcome = await settleWithin(step, log);
    if (outcome !== 'done') failed.push(step.name);
  }
  return failed;
}

async function settleWithin(step: ShutdownStep, log: ShutdownLog): Promise<'done' | 'failed' | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), step.timeoutMs);
  });
  const running = (async () => {
    await step.run();
    return 'done' as const;
  })().catch((err: unknown) => {
    log.error(`shutdown: ${step.name} failed: ${toSharedMcpError(err).message}`);
    return 'failed' as const;
  });
  try {
    const outcome = await Promise.race([running, deadline]);
    if (outcome === 'timeout') log.error(`shutdown: ${step.name} did not finish within ${formatTimeout(step.timeoutMs)}; going on`);
    return outcome;
  } finally {
    clearTimeout(timer);
  }
}
