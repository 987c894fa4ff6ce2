import { canonicalJson } from '../../shared/config/loadConfig';
import type { ServerDefinition } from '../../shared/config/configTypes';
import type { ServerState } from '../../shared/controlTypes';

/**
 * How a reload applies a change to each field of a server's definition:
 * - `restart`: the field reaches the server's process (its command line, environment, folder, the URL and headers
 *   of a remote, how it is shared), so the process starts again with it; `disabled` stops or starts it.
 * - `live`: the host reads it where it acts (tools filter, roots answers, idle and request timeouts, the restart
 *   policy, the memory and message caps), so it is applied in place and in-flight calls go on.
 * Roots are live as long as the server keeps being offered some: the roots capability itself is part of the
 * initialize the server got, so going from none to some (or back) restarts it.
 * A new field of ServerDefinition does not compile until it is given its effect here.
 */
export const FIELD_EFFECTS: Record<keyof ServerDefinition, 'restart' | 'live'> = {
  name: 'restart',
  transport: 'restart',
  command: 'restart',
  args: 'restart',
  env: 'restart',
  cwd: 'restart',
  url: 'restart',
  headers: 'restart',
  sharing: 'restart',
  disabled: 'restart',
  autoStart: 'live',
  idleTimeoutMs: 'live',
  startupTimeoutMs: 'live',
  requestTimeoutMs: 'live',
  tools: 'live',
  roots: 'live',
  maxMemoryBytes: 'live',
  maxRestarts: 'live',
  restartDelayMs: 'live',
  maxMessageBytes: 'live',
  maxQueuedBytes: 'live',
};

/** The fields whose values differ (key order inside env or headers does not count). */
export function changedFields(before: ServerDefinition, after: ServerDefinition): Array<keyof ServerDefinition> {
  return (Object.keys(FIELD_EFFECTS) as Array<keyof ServerDefinition>).filter((f) => canonicalJson(before[f] ?? null) !== canonicalJson(after[f] ?? null));
}

/** Whether a changed definition must restart the server's process (see FIELD_EFFECTS). */
export function restartNeeded(before: ServerDefinition, after: ServerDefinition): boolean {
  if ((before.roots.length > 0) !== (after.roots.length > 0) && after.sharing !== 'per-session') return true;
  return changedFields(before, after).some((f) => FIELD_EFFECTS[f] === 'restart');
}

/** What applying a change in place takes, given the fields that changed and the server's state. */
export interface InPlacePlan {
  fields: Array<keyof ServerDefinition>;
  /** New restartDelay or maxRestarts: the policy takes them, keeping its crash history. */
  reconfigurePolicy: boolean;
  /** A new idleTimeout: the countdown starts again with it. */
  rearmIdle: boolean;
  /** New roots (there were some before, there are some now): the server is told to ask again. */
  notifyRoots: boolean;
  /** A new autoStart for a server at rest: it takes its new resting state (and starts for `true`). */
  rest: boolean;
  start: boolean;
}

export function inPlacePlan(before: ServerDefinition, after: ServerDefinition, state: ServerState): InPlacePlan {
  const fields = changedFields(before, after);
  const resting = fields.includes('autoStart') && (state === 'stopped' || state === 'idle');
  return {
    fields,
    reconfigurePolicy: fields.includes('restartDelayMs') || fields.includes('maxRestarts'),
    rearmIdle: fields.includes('idleTimeoutMs'),
    notifyRoots: fields.includes('roots') && after.roots.length > 0 && after.sharing !== 'per-session',
    rest: resting,
    start: resting && after.autoStart === true && !after.disabled,
  };
}
