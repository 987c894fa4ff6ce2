import type { SessionStatus } from '../../shared/controlTypes';
import type { McpEndpoint } from './mcpEndpoint';
import { PerSessionEndpoint } from './perSessionEndpoint';
import type { HostedSession } from './sessionManager';

/** A session as `status` shows it; never the whole id (it lets anyone with the bearer token act as that client). */
export function sessionStatus(session: HostedSession, endpoint: McpEndpoint | undefined): SessionStatus {
  const { record } = session;
  const stats = endpoint?.stats(session);
  const info = record.init.clientInfo;
  return {
    id: record.id.slice(0, 8),
    client: info && typeof info.name === 'string' ? { name: info.name, version: String(info.version ?? '') } : null,
    protocolVersion: record.protocolVersion,
    transport: session.transport,
    since: new Date(record.createdAt).toISOString(),
    lastActivityAt: new Date(record.lastActivity).toISOString(),
    callsServed: stats?.callsServed ?? 0,
    inFlight: stats?.inFlight ?? 0,
    ...(endpoint instanceof PerSessionEndpoint ? { pid: endpoint.pidOf(session) } : {}),
  };
}
