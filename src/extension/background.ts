import { toSharedMcpError } from '../shared/errors';

/** Runs work nobody waits for (a notice, a push to the host): a failure goes to the extension host's log, never unhandled. */
export function inBackground(work: PromiseLike<unknown>, what: string): void {
  Promise.resolve(work).catch((err: unknown) => console.error(`Shared MCP: ${what} failed: ${toSharedMcpError(err).message}`));
}
