import type { ServerState } from '../../shared/controlTypes';

/**
 * What a server does when secrets it refers to were set, changed or deleted:
 * - `restart`: it is up with the old values;
 * - `wait`: it still lacks some (needs-secret, with the names that are left);
 * - `rest`: it takes its resting state (a lazy server becomes idle, or needs-secret when one was deleted);
 * - `start`: it was meant to run and waited for a secret or a login, or gave up (the new value may be the fix);
 *   a lazy one rests instead and starts with the next request;
 * - `none`: it was stopped, disabled or is stopping.
 */
export type SecretAction = 'restart' | 'wait' | 'rest' | 'start' | 'none';

/** The action for a server in `state` after a change of secrets it refers to; `lazy` is autoStart "lazy" or per-session sharing. */
export function secretAction(state: ServerState, lazy: boolean, missing: readonly string[]): SecretAction {
  switch (state) {
    case 'running':
    case 'starting':
    case 'crashed':
      return 'restart';
    case 'idle':
      return 'rest';
    case 'needs-secret':
    case 'needs-auth':
    case 'failed':
      if (missing.length > 0) return 'wait';
      return lazy ? 'rest' : 'start';
    default:
      return 'none';
  }
}
