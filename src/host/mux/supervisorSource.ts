import { SharedMcpError } from '../../shared/errors';
import { formatTimeout } from '../../shared/units';
import type { Backend } from '../backends/backend';
import type { ServerSupervisor } from '../supervisor/serverSupervisor';
import type { BackendSource } from './mcpEndpoint';

/**
 * States in which a start is under way or will be, so a request waits for it: starting; idle (the request starts
 * it); and stopping: a restart (manual, for a config change, for a changed secret) goes from stopping straight to
 * starting, an idle stop ends in idle (then the request starts it), and a plain stop ends in stopped, which answers
 * at once. Every other state (crashed, failed, needs-secret, needs-auth, stopped, disabled) answers at once: nothing
 * would come of waiting that the client should not hear now.
 */
const WAITABLE = new Set(['starting', 'idle', 'stopping']);
/** Beyond startupTimeout (the supervisor fails a start that takes longer): a stop's grace, before a restart's start. */
const READY_MARGIN_MS = 10_000;

/** A shared server's backend, from its supervisor: a lazy or idle server starts on the first request; a start in progress is waited for. */
export class SupervisorSource implements BackendSource {
  constructor(private readonly supervisor: ServerSupervisor) {}

  get current(): Backend | undefined {
    return this.supervisor.activeBackend;
  }

  get onDidChange(): ServerSupervisor['onDidChangeBackend'] {
    return this.supervisor.onDidChangeBackend;
  }

  ready(): Promise<Backend> {
    const s = this.supervisor;
    if (s.activeBackend) return Promise.resolve(s.activeBackend);
    if (!WAITABLE.has(s.state)) return Promise.reject(unavailable(s));
    // Its failure shows as a state change, which ends the wait below with the reason.
    const startIfIdle = (): void => {
      if (s.state === 'idle') s.start(false).catch(() => undefined);
    };
    startIfIdle();
    const waitMs = s.def.startupTimeoutMs + READY_MARGIN_MS;
    return new Promise<Backend>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        onBackend.dispose();
        onState.dispose();
      };
      const timer = setTimeout(() => (done(), reject(new SharedMcpError('TIMEOUT', `${s.name} did not become ready within ${formatTimeout(waitMs)}; see its log (shared-mcp logs ${s.name})`))), waitMs);
      const onBackend = s.onDidChangeBackend((b) => {
        if (b) (done(), resolve(b));
      });
      const onState = s.onDidChangeState((c) => {
        if (!WAITABLE.has(c.state) && c.state !== 'running') (done(), reject(unavailable(s)));
        // An idle stop that this request waited through: a lazy or idle server starts on demand.
        else if (c.state === 'idle') startIfIdle();
      });
    });
  }

  sessionsChanged(count: number): void {
    this.supervisor.setSessionCount(count);
  }
}

/** "crashy failed: exited with code 1; see its log", with {server, state, lastError} for the error's data. */
export function unavailable(s: Pick<ServerSupervisor, 'name' | 'state' | 'lastError'>): SharedMcpError {
  const details = { server: s.name, state: s.state, lastError: s.lastError };
  const why = s.lastError ? `: ${s.lastError}` : '';
  switch (s.state) {
    case 'disabled':
      return new SharedMcpError('SERVER_UNAVAILABLE', `${s.name} disabled (enable it in the config)`, details);
    case 'stopped':
      return new SharedMcpError('SERVER_UNAVAILABLE', `${s.name} stopped${why} (start it with \`shared-mcp up ${s.name}\`)`, details);
    case 'needs-auth':
      return new SharedMcpError('NEEDS_AUTH', `${s.name} needs-auth${why} (sign in first)`, details);
    case 'needs-secret':
      // The reason already says how to set what is missing.
      return new SharedMcpError('SERVER_UNAVAILABLE', `${s.name} needs-secret${why}`, details);
    case 'crashed':
      return new SharedMcpError('SERVER_UNAVAILABLE', `${s.name} crashed${why}; it restarts by itself, see its log (shared-mcp logs ${s.name})`, details);
    default:
      return new SharedMcpError('SERVER_UNAVAILABLE', `${s.name} ${s.state}${why}; see its log (shared-mcp logs ${s.name})`, details);
  }
}
