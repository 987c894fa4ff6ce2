import type { SharedMcpError } from '../../shared/errors';
import type { ServerDefinition } from '../../shared/config/configTypes';

/** Failures that retrying cannot fix: the server goes to `failed` at once. */
const FATAL_CODES = new Set(['COMMAND_NOT_FOUND', 'CONFIG_INVALID', 'PROTOCOL_ERA_UNSUPPORTED']);

/** Where a start that failed leaves the server: waiting for the user (failed, needs-auth, needs-secret), or crashed (it retries). */
export function openFailure(e: SharedMcpError, def: ServerDefinition): { state: 'failed' | 'needs-auth' | 'needs-secret' | 'crashed'; reason: string } {
  if (FATAL_CODES.has(e.code)) return { state: 'failed', reason: e.message };
  // A 401/403 needs the user (a new secret, a sign-in), not a retry.
  if (e.code === 'UNAUTHORIZED' || e.code === 'NEEDS_AUTH') return { state: 'needs-auth', reason: e.message };
  if (e.code === 'SECRET_MISSING') return { state: 'needs-secret', reason: e.message };
  return { state: 'crashed', reason: def.transport === 'stdio' ? `did not complete MCP initialize: ${e.message}` : e.message };
}
