import { SharedMcpError } from '../../shared/errors';
import type { Backend } from '../backends/backend';
import type { ServerSupervisor } from '../supervisor/serverSupervisor';
import type { BackendSource } from './mcpEndpoint';

/** The longest first restart delay (restartPolicy backs off to this), added to the start timeout when waiting. */
const MAX_RESTART_WAIT_MS = 30_000;
/** States a request waits through; any other state answers with an error at once. */
const WAITABLE = new Set(['starting', 'crashed', 'idle', 'stopping']);

/** A shared server's backend, from its supervisor: a lazy or idle server starts on the first request; a crashed one is waited for. */
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
    if (s.state === 'idle') s.start(false).catch(() => undefined);
    const waitMs = s.def.startupTimeoutMs + MAX_RESTART_WAIT_MS;
    return new Promise<Backend>((resolve, reject) => {
      const done = (): void => {
        clearTimeout(timer);
        onBackend.dispose();
        onState.dispose();
      };
      const timer = setTimeout(() => (done(), reject(new SharedMcpError('TIMEOUT', `server "${s.name}" did not become ready within ${Math.round(waitMs / 1000)}s`))), waitMs);
      const onBackend = s.onDidChangeBackend((b) => {
        if (b) (done(), resolve(b));
      });
      const onState = s.onDidChangeState((c) => {
        if (!WAITABLE.has(c.state) && c.state !== 'running') (done(), reject(unavailable(s)));
      });
    });
  }

  sessionsChanged(count: number): void {
    this.supervisor.setSessionCount(count);
  }
}

function unavailable(s: ServerSupervisor): SharedMcpError {
  const why = s.lastError ? `: ${s.lastError}` : '';
  // needs-secret: the reason already says how to set what is missing.
  const hint = s.state === 'disabled' ? ' (enable it in the config)' : s.state === 'needs-auth' ? ' (sign in first)' : s.state === 'needs-secret' ? '' : ` (start it with \`shared-mcp up ${s.name}\`)`;
  return new SharedMcpError('SERVER_UNAVAILABLE', `server "${s.name}" is ${s.state}${why}${hint}`);
}
