import { SharedMcpError } from '../../shared/errors';
import { RpcError } from './rpcChannel';

/**
 * The 2026-07-28 spec's "unsupported protocol version" code: what a modern-only server answers to initialize, and
 * what the host answers a modern probe with. Read from the one table of codes (errors.ts), never written twice.
 */
const RPC_UNSUPPORTED_PROTOCOL_VERSION = new SharedMcpError('UNSUPPORTED_PROTOCOL_VERSION', '').jsonRpcCode;

/**
 * PROTOCOL_ERA_UNSUPPORTED when a server refused the host's initialize because it speaks only a newer protocol era
 * (a JSON-RPC error -32022, answered as such or in an HTTP 400 body); undefined for any other failure. Retrying
 * cannot help, so the supervisor gives up at once instead of crash-looping.
 */
export function modernOnlyError(err: unknown): SharedMcpError | undefined {
  const rpc = err instanceof RpcError ? err.rpc : rpcErrorInText(err instanceof Error ? err.message : '');
  if (!rpc || rpc.code !== RPC_UNSUPPORTED_PROTOCOL_VERSION) return undefined;
  const supported = (rpc.data as { supported?: unknown } | undefined)?.supported;
  const versions = Array.isArray(supported) && supported.every((v) => typeof v === 'string') && supported.length > 0 ? supported.join(', ') : 'a newer protocol';
  return new SharedMcpError('PROTOCOL_ERA_UNSUPPORTED', `this server speaks only protocol ${versions}; Shared MCP does not serve that era yet`);
}

/** The JSON-RPC error in an HTTP error's text ("Error POSTing to endpoint: {…}"), when there is one. */
function rpcErrorInText(text: string): { code: number; data?: unknown } | undefined {
  const start = text.indexOf('{');
  if (start < 0 || text.length > 64 * 1024) return undefined;
  try {
    const body = JSON.parse(text.slice(start)) as { error?: { code?: unknown; data?: unknown } };
    return typeof body.error?.code === 'number' ? { code: body.error.code, data: body.error.data } : undefined;
  } catch {
    return undefined;
  }
}
