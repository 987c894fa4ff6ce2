import { detach } from '../shared/detach';
import { toSharedMcpError } from '../shared/errors';

/** Runs work nobody waits for (a notice, a push to the host): a failure goes to the extension host's log, never unhandled. */
export function inBackground(work: PromiseLike<unknown>, what: string): void {
  detach(work, (err) => console.error(`Shared MCP: ${what} failed: ${toSharedMcpError(err).message}`));
}
