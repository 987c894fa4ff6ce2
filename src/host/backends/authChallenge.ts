import { extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { SharedMcpError } from '../../shared/errors';
import { errorResponse, type JsonRpcId, type JsonRpcMessage } from './jsonRpc';

/** A remote's refusal of the host's credentials: the status and what its WWW-Authenticate header says. */
export interface AuthChallenge {
  status: 401 | 403;
  /** RFC 6750 error: invalid_token, insufficient_scope, … */
  error?: string;
  /** The scope the server asks for (step-up on 403 insufficient_scope). */
  scope?: string;
  /** Protected-resource metadata (RFC 9728), for OAuth discovery. */
  resourceMetadata?: string;
}

export function isAuthStatus(status: number): status is 401 | 403 {
  return status === 401 || status === 403;
}

/**
 * Reads a 401 or 403 response's challenge (never its body: it may echo the credentials). Its words are the server's
 * and go into callers' errors and the server's state, so they are redacted too (a header may echo them as well).
 */
export function challengeOf(response: Response, redact: (text: string) => string = (text) => text): AuthChallenge {
  const params = extractWWWAuthenticateParams(response);
  return {
    status: response.status as 401 | 403,
    ...(params.error ? { error: redact(params.error) } : {}),
    ...(params.scope ? { scope: redact(params.scope) } : {}),
    ...(params.resourceMetadataUrl ? { resourceMetadata: redact(params.resourceMetadataUrl.href) } : {}),
  };
}

/** "the server refused the credentials (HTTP 401, invalid_token)", "… needs scope "a b" (HTTP 403, insufficient_scope)". */
export function describeChallenge(c: AuthChallenge): string {
  const detail = [`HTTP ${c.status}`, ...(c.error ? [c.error] : [])].join(', ');
  if (c.scope && (c.status === 403 || c.error === 'insufficient_scope')) return `the server asks for more scope: "${c.scope}" (${detail})`;
  return `the server refused the credentials (${detail}${c.scope ? `; scope "${c.scope}"` : ''})`;
}

/** The error a caller gets, and the reason the server shows, when a remote needs sign-in. */
export function needsAuthError(server: string, c: AuthChallenge, hint: string): SharedMcpError {
  return new SharedMcpError('NEEDS_AUTH', `server "${server}" needs sign-in: ${describeChallenge(c)}; ${hint}`, {
    status: c.status,
    ...(c.error ? { error: c.error } : {}),
    ...(c.scope ? { scope: c.scope } : {}),
  });
}

/** The JSON-RPC answer to a request that met (or came after) the refusal: the message, and its code and challenge as data. */
export function needsAuthAnswer(id: JsonRpcId, err: SharedMcpError): JsonRpcMessage {
  return errorResponse(id, err.jsonRpcCode, err.message, { code: err.code, ...(err.details as Record<string, unknown> | undefined) });
}
