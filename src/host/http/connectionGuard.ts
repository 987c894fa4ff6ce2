import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** Where the soft limit is not readable (no /proc): the usual Linux default. */
export const FALLBACK_FD_LIMIT = 1024;
/** The host's own descriptors: stdio, the event loop, host.log, the config and token watches, DNS and the thread pool. */
export const HOST_RESERVED_FDS = 64;
export const MIN_CONNECTIONS = 16;
export const MAX_CONNECTIONS = 4096;
/** Under a flood, pressure is logged at most this often. */
const PRESSURE_LOG_INTERVAL_MS = 60_000;

/** The soft RLIMIT_NOFILE of this process (Node raises it to the hard limit at start-up), from /proc/self/limits. */
export function softFdLimit(readLimits: () => string = () => readFileSync('/proc/self/limits', 'utf8')): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)\s/m.exec(readLimits());
    if (!m) return FALLBACK_FD_LIMIT;
    return m[1] === 'unlimited' ? MAX_CONNECTIONS * 2 + HOST_RESERVED_FDS : Number(m[1]);
  } catch {
    return FALLBACK_FD_LIMIT;
  }
}

/**
 * How many client connections the listener keeps: half of what the host's own descriptors leave. The other half is
 * for servers: a stdio server costs 3 pipes and its log file (6 for a moment while it restarts), a per-session
 * server as much per session, a remote one a socket or two. At the limit of 512 that is 224 connections and room
 * for 56 stdio servers.
 */
export function connectionCap(fdLimit: number): number {
  return Math.max(MIN_CONNECTIONS, Math.min(MAX_CONNECTIONS, Math.floor((fdLimit - HOST_RESERVED_FDS) / 2)));
}

interface SocketState {
  /** Requests being served on it (pipelining can make it more than one). */
  active: number;
}

/**
 * Caps the listener's connections below the descriptor limit. At the cap a new connection closes the socket idle the
 * longest (a keep-alive socket between requests, or one that has not finished sending a request), so that a program
 * holding hundreds of silent connections cannot keep /health, an MCP client or a server's restart (EMFILE) out.
 * A socket serving a request (an SSE stream included) is never closed; with no idle one, the new connection is.
 */
export class ConnectionGuard {
  /** Insertion order is the order sockets became idle: the first idle one is the one to close. */
  private readonly sockets = new Map<Socket, SocketState>();
  private lastPressureLog = 0;
  private closedSinceLog = 0;

  constructor(
    server: Server,
    readonly maxConnections: number,
    private readonly log: (message: string) => void,
  ) {
    server.on('connection', (socket: Socket) => this.admit(socket));
    server.on('request', (req: { socket: Socket }, res: { once(event: string, fn: () => void): void }) => this.track(req.socket, res));
  }

  get size(): number {
    return this.sockets.size;
  }

  private admit(socket: Socket): void {
    if (this.sockets.size >= this.maxConnections && !this.closeIdlest()) {
      this.pressure();
      socket.destroy();
      return;
    }
    this.sockets.set(socket, { active: 0 });
    socket.once('close', () => this.sockets.delete(socket));
  }

  private track(socket: Socket, res: { once(event: string, fn: () => void): void }): void {
    const state = this.sockets.get(socket);
    if (!state) return;
    state.active++;
    let done = false;
    const finished = (): void => {
      if (done) return;
      done = true;
      state.active--;
      if (state.active > 0 || !this.sockets.has(socket)) return;
      // Idle from now on: last in line to be closed.
      this.sockets.delete(socket);
      this.sockets.set(socket, state);
    };
    res.once('finish', finished);
    res.once('close', finished);
  }

  private closeIdlest(): boolean {
    for (const [socket, state] of this.sockets) {
      if (state.active > 0) continue;
      this.sockets.delete(socket);
      socket.destroy();
      this.pressure();
      return true;
    }
    return false;
  }

  private pressure(): void {
    this.closedSinceLog++;
    const now = Date.now();
    if (now - this.lastPressureLog < PRESSURE_LOG_INTERVAL_MS) return;
    this.log(`${this.maxConnections} client connections open (the cap, from the file descriptor limit): closed ${this.closedSinceLog} idle or refused new ones to make room`);
    this.lastPressureLog = now;
    this.closedSinceLog = 0;
  }
}
