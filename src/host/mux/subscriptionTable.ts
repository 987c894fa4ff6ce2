import type { ClientSession } from './clientSession';

/** resources/subscribe reference counts: the backend holds one subscription per URI however many sessions asked. */
export class SubscriptionTable {
  private readonly byUri = new Map<string, Set<ClientSession>>();

  /** Adds the session; true when it is the URI's first subscriber (the backend must subscribe). */
  add(uri: string, session: ClientSession): boolean {
    let set = this.byUri.get(uri);
    if (!set) this.byUri.set(uri, (set = new Set()));
    set.add(session);
    return set.size === 1;
  }

  /** Removes the session; true when it was the URI's last subscriber (the backend must unsubscribe). */
  remove(uri: string, session: ClientSession): boolean {
    const set = this.byUri.get(uri);
    if (!set || !set.delete(session)) return false;
    if (set.size > 0) return false;
    this.byUri.delete(uri);
    return true;
  }

  has(uri: string, session: ClientSession): boolean {
    return this.byUri.get(uri)?.has(session) ?? false;
  }

  subscribers(uri: string): ReadonlySet<ClientSession> {
    return this.byUri.get(uri) ?? new Set();
  }

  /** Drops every subscription of the session; returns the URIs nobody holds any more. */
  removeSession(session: ClientSession): string[] {
    const emptied: string[] = [];
    for (const uri of [...this.byUri.keys()]) if (this.remove(uri, session)) emptied.push(uri);
    return emptied;
  }

  uris(): string[] {
    return [...this.byUri.keys()];
  }
}
