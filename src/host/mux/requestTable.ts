import { IdAllocator } from '../backends/idAllocator';
import type { JsonRpcId } from '../backends/jsonRpc';
import type { ClientSession } from './clientSession';
import type { SessionStatsTable } from './sessionStats';
import type { Timer, Timers } from './timers';

/** One client request a mux took: waiting for the backend, or sent to it under `bid`. */
export interface Forwarded {
  /** The id the backend sees (and the progress token it gets, when the client asked for progress). */
  readonly bid: number;
  readonly session: ClientSession;
  readonly clientId: JsonRpcId;
  readonly method: string;
  /** resources/subscribe or unsubscribe: the URI whose count this answer settles. */
  readonly uri?: string;
  /** The client's own progress token, when it asked for progress. */
  readonly progressToken?: string | number;
  /** The backend has it (else it waits for a backend to start). */
  readonly sent: boolean;
  /** The deadline it was sent with. */
  readonly timeoutMs?: number;
}

interface Entry extends Forwarded {
  sent: boolean;
  timeoutMs?: number;
  /** From the moment the request went to the backend; none while it waits for one. */
  deadline?: Timer;
}

/**
 * The requests a mux has taken and not yet settled. Each is counted in its session's inFlight from add() to take(),
 * whichever way it ends (answer, error, cancel, timeout, session end, backend death), so no count can leak.
 */
export class RequestTable {
  private readonly byBid = new Map<number, Entry>();
  /** Per session: its requests by backend id (in order), and by client id (the newest with that id; a cancel finds it). */
  private readonly bySession = new Map<ClientSession, { byBid: Map<number, Entry>; byClientId: Map<JsonRpcId, Entry> }>();
  private readonly ids = new IdAllocator('backend');

  constructor(
    private readonly stats: SessionStatsTable,
    private readonly timers: Timers,
  ) {}

  add(session: ClientSession, clientId: JsonRpcId, method: string, extra: { uri?: string; progressToken?: string | number } = {}): Forwarded {
    const entry: Entry = { bid: this.ids.next(), session, clientId, method, ...extra, sent: false };
    this.byBid.set(entry.bid, entry);
    let own = this.bySession.get(session);
    if (!own) this.bySession.set(session, (own = { byBid: new Map(), byClientId: new Map() }));
    own.byBid.set(entry.bid, entry);
    own.byClientId.set(clientId, entry);
    this.stats.started(session);
    return entry;
  }

  /** The request went to the backend: it must be answered within ms (progress starts the clock again), or onExpiry runs. */
  markSent(bid: number, ms: number, onExpiry: (f: Forwarded) => void): void {
    const entry = this.byBid.get(bid);
    if (!entry || entry.sent) return;
    entry.sent = true;
    entry.timeoutMs = ms;
    entry.deadline = this.timers.start(ms, () => {
      if (this.byBid.get(bid) === entry) onExpiry(entry);
    });
  }

  /** Progress for the request: its deadline starts over. */
  refresh(bid: number): void {
    this.byBid.get(bid)?.deadline?.refresh();
  }

  get(bid: unknown): Forwarded | undefined {
    return typeof bid === 'number' ? this.byBid.get(bid) : undefined;
  }

  /** The session's newest request with this client id. */
  find(session: ClientSession, clientId: JsonRpcId): Forwarded | undefined {
    return this.bySession.get(session)?.byClientId.get(clientId);
  }

  /** Ends the request: nobody waits for it any more; served: the backend answered it. */
  take(bid: number, served = false): Forwarded | undefined {
    const entry = this.byBid.get(bid);
    if (!entry) return undefined;
    this.byBid.delete(bid);
    entry.deadline?.cancel();
    const own = this.bySession.get(entry.session);
    own?.byBid.delete(bid);
    if (own?.byClientId.get(entry.clientId) === entry) own.byClientId.delete(entry.clientId);
    if (own?.byBid.size === 0) this.bySession.delete(entry.session);
    this.stats.finished(entry.session, served);
    return entry;
  }

  /** The session's requests, oldest first. */
  ofSession(session: ClientSession): Forwarded[] {
    return [...(this.bySession.get(session)?.byBid.values() ?? [])];
  }

  /** The client id of the session's newest request (a server→client request most likely belongs to it). */
  newestOf(session: ClientSession): JsonRpcId | undefined {
    return this.ofSession(session).pop()?.clientId;
  }

  /** Every request, oldest first; sent: only those the backend has. */
  all(sent?: boolean): Forwarded[] {
    return [...this.byBid.values()].filter((e) => sent === undefined || e.sent === sent);
  }
}
