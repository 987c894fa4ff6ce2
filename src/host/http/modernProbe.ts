import { SharedMcpError } from '../../shared/errors';
import { ADVERTISED_PROTOCOL_VERSIONS, SUPPORTED_PROTOCOL_VERSIONS, type JsonRpcId, type JsonRpcMessage } from '../backends/jsonRpc';
import { HttpFailure } from './httpErrors';

/** The first revision without initialize: the version rides on every request, and `server/discover` replaces the handshake. */
export const MODERN_PROTOCOL_VERSION = '2026-07-28';
const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
/** What is echoed of a version the client named (a header can be 16 KB). */
const MAX_ECHOED_VERSION_CHARS = 64;

/**
 * The version a sessionless request that is not initialize names when it belongs to a protocol era the host does not
 * speak: its MCP-Protocol-Version header or the version in its `_meta`, when unsupported, or `server/discover`.
 * Undefined for a legacy request (which then needs its session).
 */
export function unsupportedVersionOf(header: unknown, messages: readonly JsonRpcMessage[]): string | undefined {
  if (typeof header === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(header)) return header.slice(0, MAX_ECHOED_VERSION_CHARS);
  for (const m of messages) {
    const meta = m.params?._meta?.[META_VERSION];
    if (typeof meta === 'string' && !SUPPORTED_PROTOCOL_VERSIONS.includes(meta)) return meta.slice(0, MAX_ECHOED_VERSION_CHARS);
    if (m.method === 'server/discover') return MODERN_PROTOCOL_VERSION;
  }
  return undefined;
}

/**
 * The 2026-07-28 spec's UnsupportedProtocolVersionError (400, -32022, data {supported, requested}) to the request's
 * id. A client of both eras retries with a version from `supported`, all of which start with initialize: that is how
 * Claude Code and Codex find out that the host speaks the legacy era.
 */
export function unsupportedProtocolVersion(requested: string, messages: readonly JsonRpcMessage[]): HttpFailure {
  const id = messages.find((m) => m.method !== undefined && m.id !== undefined && m.id !== null)?.id as JsonRpcId | undefined;
  const error = new SharedMcpError(
    'UNSUPPORTED_PROTOCOL_VERSION',
    `Unsupported protocol version: ${requested} (this server speaks ${ADVERTISED_PROTOCOL_VERSIONS.join(', ')}; start with initialize)`,
  );
  return new HttpFailure(error, { id: id ?? null, data: { supported: [...ADVERTISED_PROTOCOL_VERSIONS], requested } });
}
