import type { IncomingMessage, ServerResponse } from 'node:http';
import { SharedMcpError } from '../../shared/errors';
import type { SessionManager } from '../mux/sessionManager';
import type { LegacySseServer } from './legacySse';
import { sendRpcError } from './mcpHttp';
import { handleStreamableHttp } from './streamableHttp';

export interface McpRouterDeps {
  /** The client bearer token (the host's, in memory). */
  token: { matches(header: string | undefined): boolean };
  sessions: SessionManager;
  legacy: LegacySseServer;
  maxMessageBytes(): number;
  /** Whether an endpoint of this name exists ("" is the aggregate). */
  hasEndpoint(name: string): boolean;
}

/** `/mcp/<server>`, `/sse/<server>`, `/messages/<server>` (and the aggregate without a name); undefined for other paths. */
export function parseMcpPath(pathname: string): { kind: 'mcp' | 'sse' | 'messages'; endpoint: string } | undefined {
  const m = /^\/(mcp|sse|messages)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (!m) return undefined;
  let endpoint = '';
  try {
    endpoint = m[2] ? decodeURIComponent(m[2]) : '';
  } catch {
    return undefined;
  }
  return { kind: m[1] as 'mcp' | 'sse' | 'messages', endpoint };
}

/** Serves an MCP request: bearer token first (401), then the endpoint (404), then its transport. */
export async function handleMcp(req: IncomingMessage, res: ServerResponse, query: string, route: NonNullable<ReturnType<typeof parseMcpPath>>, deps: McpRouterDeps): Promise<void> {
  if (!deps.token.matches(req.headers.authorization)) {
    return sendRpcError(res, new SharedMcpError('UNAUTHORIZED', 'Unauthorized: send Authorization: Bearer <token from the Shared MCP home>'), null, { 'www-authenticate': 'Bearer realm="shared-mcp"' });
  }
  if (!deps.hasEndpoint(route.endpoint)) {
    // Sessions of a removed server answer 404 too, which tells clients to start over.
    return sendRpcError(res, new SharedMcpError('UNKNOWN_SERVER', route.endpoint ? `unknown server: ${route.endpoint}` : 'the aggregate endpoint is turned off'));
  }
  try {
    if (route.kind === 'mcp') return await handleStreamableHttp(req, res, route.endpoint, deps);
    if (route.kind === 'sse') {
      if (req.method !== 'GET') throw new SharedMcpError('METHOD_NOT_ALLOWED', 'Method Not Allowed: use GET for the SSE stream');
      return deps.legacy.open(req, res, route.endpoint, route.endpoint ? `/messages/${encodeURIComponent(route.endpoint)}` : '/messages');
    }
    if (req.method !== 'POST') throw new SharedMcpError('METHOD_NOT_ALLOWED', 'Method Not Allowed: use POST for messages');
    return await deps.legacy.post(req, res, route.endpoint, new URLSearchParams(query).get('sessionId'));
  } catch (err) {
    sendRpcError(res, err);
  }
}
