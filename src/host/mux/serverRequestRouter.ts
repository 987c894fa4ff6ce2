import { IdAllocator } from '../backends/idAllocator';
import { RPC_INTERNAL_ERROR, RPC_METHOD_NOT_FOUND, errorResponse, type JsonRpcId, type JsonRpcMessage } from '../backends/jsonRpc';
import type { ServerLog } from '../logs/serverLog';
import type { ClientSession } from './clientSession';

/** Server→client requests the host can route, by the client capability each needs. */
const CAPABILITY_OF: Record<string, string> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
};

interface Routed {
  session: ClientSession;
  backendId: JsonRpcId;
}

/** What the router needs of its mux. */
export interface RouterHost {
  /** Sends to the backend; false when the message could not go (the mux logged why). Never throws. */
  toBackend(msg: JsonRpcMessage): boolean;
  /** Delivers to a client; never throws. */
  toClient(session: ClientSession, msg: JsonRpcMessage, relatedId?: JsonRpcId): void;
  /** How many requests the session waits on (a candidate has one). */
  inFlight(session: ClientSession): number;
  /** The client id of the session's newest request in flight: the stream a routed request travels on. */
  related(session: ClientSession): JsonRpcId | undefined;
}

/**
 * Server→client requests (sampling, elicitation) in a shared backend: each goes to the one session that has a
 * request in flight and declared the capability, under a routed id; when that is ambiguous it is refused with an error.
 */
export class ServerRequestRouter {
  private readonly routed = new Map<string, Routed>();
  private readonly ids = new IdAllocator('routed');

  constructor(
    private readonly server: string,
    private readonly log: ServerLog,
    private readonly host: RouterHost,
  ) {}

  /** Routes a server→client request; `own` is a backend of one session's own, whose requests all go to that session. */
  route(msg: JsonRpcMessage, sessions: Iterable<ClientSession>, own = false): void {
    const method = msg.method as string;
    const backendId = msg.id as JsonRpcId;
    const all = [...sessions];
    if (own && all.length === 1) return this.send(all[0], msg);
    const capability = CAPABILITY_OF[method];
    if (!capability) return void this.host.toBackend(errorResponse(backendId, RPC_METHOD_NOT_FOUND, `Method not found: ${method}`));
    const candidates = all.filter((s) => this.host.inFlight(s) > 0 && s.record.init.capabilities?.[capability] !== undefined);
    if (candidates.length !== 1) {
      const why = candidates.length === 0 ? `no connected client that supports ${capability} has a request in flight` : `${candidates.length} clients could be asked, and a shared server cannot tell which one asked`;
      this.log.line('host', `refused ${method}: ${why}. Set "sharing": "per-session" for "${this.server}" to give each client its own server`);
      return void this.host.toBackend(errorResponse(backendId, RPC_INTERNAL_ERROR, `${method} cannot be routed: ${why} (Shared MCP: use "sharing": "per-session" for this server)`));
    }
    this.send(candidates[0], msg);
  }

  private send(session: ClientSession, msg: JsonRpcMessage): void {
    const hostId = this.ids.next();
    this.routed.set(hostId, { session, backendId: msg.id as JsonRpcId });
    this.host.toClient(session, { ...msg, id: hostId }, this.host.related(session));
  }

  /** The client's answer to a routed request goes back under the server's own id; anything else is dropped. */
  answer(session: ClientSession, msg: JsonRpcMessage): void {
    const r = typeof msg.id === 'string' ? this.routed.get(msg.id) : undefined;
    if (!r || r.session !== session) return;
    this.routed.delete(msg.id as string);
    if (this.host.toBackend({ ...msg, id: r.backendId })) return;
    // The server still waits for an answer: it gets a small one that says why (an answer over its size cap, say).
    this.host.toBackend(errorResponse(r.backendId, RPC_INTERNAL_ERROR, "the client's answer could not be passed on to the server"));
  }

  /** The server gave up on a request it sent: tell the session it went to. */
  cancelled(msg: JsonRpcMessage): void {
    const requestId = msg.params?.requestId;
    for (const [hostId, r] of this.routed) {
      if (r.backendId !== requestId) continue;
      this.routed.delete(hostId);
      this.host.toClient(r.session, { ...msg, params: { ...msg.params, requestId: hostId } });
      return;
    }
  }

  /** The session is gone: the server's requests to it fail now instead of waiting for ever. */
  dropSession(session: ClientSession): void {
    for (const [hostId, r] of this.routed) {
      if (r.session !== session) continue;
      this.routed.delete(hostId);
      this.host.toBackend(errorResponse(r.backendId, RPC_INTERNAL_ERROR, 'the client session ended'));
    }
  }

  clear(): void {
    this.routed.clear();
  }
}
