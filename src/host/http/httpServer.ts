import * as http from 'node:http';
import { ConnectionGuard, connectionCap, softFdLimit } from './connectionGuard';

/** A client that has not sent its request's headers by then is cut (408): silent sockets once stayed 89 s. */
export const HEADERS_TIMEOUT_MS = 10_000;
/** The whole request, body included (32 MiB over loopback takes well under a second); the answer may stream for hours. */
export const REQUEST_TIMEOUT_MS = 60_000;
/** An idle keep-alive socket between two requests. */
export const KEEP_ALIVE_TIMEOUT_MS = 5_000;
/** How often Node checks the two timeouts above. */
export const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

export interface ListenerOptions {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  checkIntervalMs: number;
  maxConnections: number;
  log(message: string): void;
}

export function defaultListenerOptions(log: (message: string) => void): ListenerOptions {
  return {
    headersTimeoutMs: HEADERS_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
    checkIntervalMs: CONNECTIONS_CHECK_INTERVAL_MS,
    maxConnections: connectionCap(softFdLimit()),
    log,
  };
}

/**
 * The host's listener: headers and bodies time out in seconds, a socket with no request is closed after a few, and
 * the connections are capped below the descriptor limit (idle ones go first). No socket inactivity timeout: a quiet
 * SSE stream (with its heartbeat) or a long tool call is not a dead connection.
 */
export function createHttpServer(handler: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>, o: ListenerOptions): { server: http.Server; guard: ConnectionGuard } {
  const server = http.createServer({
    headersTimeout: o.headersTimeoutMs,
    requestTimeout: o.requestTimeoutMs,
    keepAliveTimeout: o.keepAliveTimeoutMs,
    connectionsCheckingInterval: o.checkIntervalMs,
  });
  const guard = new ConnectionGuard(server, o.maxConnections, o.log);
  // The dispatcher answers every error itself; a rejection would be a bug in that, and costs only this connection.
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    handler(req, res).catch(() => res.destroy());
  });
  return { server, guard };
}
