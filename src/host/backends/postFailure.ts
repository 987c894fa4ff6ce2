import { escapeControlChars } from '../logs/controlChars';

/** How much of what a remote answered a failed POST with its caller is told (an HTML error page is no message). */
export const REMOTE_ERROR_TEXT_CHARS = 500;

/** The SDK's words before the response body, in its Streamable HTTP and its SSE transport. */
const SDK_PREFIX = /^(?:Streamable HTTP error: )?Error POSTing to endpoint(?: \(HTTP \d{3}\))?: ?/;

/**
 * What the caller of a request is told when its POST to a remote failed, and the server's log says: the status the
 * remote answered with and what it said (the SDK puts the response body into its error, and a body may echo the
 * credentials), or why it could not be reached. Redacted first, then on one line, then cut.
 */
export function postFailure(err: unknown, status: number | undefined, redact: (text: string) => string): string {
  const message = err instanceof Error ? err.message : String(err);
  if (status !== undefined && status >= 100) {
    const said = message.replace(SDK_PREFIX, '');
    return `the remote answered HTTP ${status}${said ? `: ${shown(said, redact)}` : ''}`;
  }
  const cause = (err as { cause?: { code?: unknown } } | undefined)?.cause?.code;
  if (typeof cause === 'string') return `the remote server could not be reached: ${cause}`;
  return `sending to the remote server failed: ${shown(message, redact)}`;
}

function shown(text: string, redact: (text: string) => string): string {
  const clean = escapeControlChars(redact(text));
  return clean.length > REMOTE_ERROR_TEXT_CHARS ? `${clean.slice(0, REMOTE_ERROR_TEXT_CHARS)}…` : clean;
}
