import type { ClientSession } from './clientSession';

/**
 * What an endpoint counts for one session: for status, the idle reaper, sampling routing and per-session idling.
 * (When the client was last active is the session manager's: record.lastActivity.)
 */
export interface SessionStats {
  /** Requests answered by the server. */
  readonly callsServed: number;
  /** Requests the session waits on: counted when the endpoint takes one, released on every way out. */
  readonly inFlight: number;
}

interface Row {
  callsServed: number;
  inFlight: number;
}

/**
 * The one place an endpoint's session counters live and change; everyone else reads them through the endpoint.
 * A row exists while the session is open on the endpoint.
 */
export class SessionStatsTable {
  private readonly rows = new Map<ClientSession, Row>();

  open(session: ClientSession): void {
    if (!this.rows.has(session)) this.rows.set(session, { callsServed: 0, inFlight: 0 });
  }

  close(session: ClientSession): void {
    this.rows.delete(session);
  }

  get(session: ClientSession): SessionStats | undefined {
    return this.rows.get(session);
  }

  inFlight(session: ClientSession): number {
    return this.rows.get(session)?.inFlight ?? 0;
  }

  /** A request the session now waits on. */
  started(session: ClientSession): void {
    const row = this.rows.get(session);
    if (row) row.inFlight++;
  }

  /** A request the session no longer waits on; served: the server answered it. */
  finished(session: ClientSession, served: boolean): void {
    const row = this.rows.get(session);
    if (!row) return;
    row.inFlight = Math.max(0, row.inFlight - 1);
    if (served) row.callsServed++;
  }
}
