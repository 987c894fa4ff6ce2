/**
 * The id namespaces the host numbers messages in. Each has its own shape, so an id of one can never be taken for
 * an id of another: backend ids are plain positive integers (client requests, renumbered by a mux), the rest are
 * strings with a prefix and digits only ("shared-mcp-s7" is not a host id: "s7" is not digits).
 */
const PREFIXES = {
  /** A mux's requests to its backend, on behalf of a client. */
  backend: undefined,
  /** The host's own requests to a backend (RpcChannel): initialize, lists, setLevel, resubscribes, pings. */
  host: 'shared-mcp-',
  /** A server's requests to a client (sampling, elicitation), renumbered per mux. */
  routed: 'shared-mcp-s',
  /** The aggregate's requests to the servers' muxes, on behalf of an /mcp client. */
  aggregate: 'agg-',
} as const;

export type IdNamespace = keyof typeof PREFIXES;
type IdOf<N extends IdNamespace> = N extends 'backend' ? number : string;

/** True for a value of the namespace's shape, whether or not it was handed out. */
export function inNamespace(namespace: IdNamespace, id: unknown): boolean {
  const prefix = PREFIXES[namespace];
  if (prefix === undefined) return typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
  return typeof id === 'string' && id.startsWith(prefix) && /^[0-9]+$/.test(id.slice(prefix.length));
}

/** Hands out the ids of one namespace, in order; one instance per namespace and per peer (a backend, a mux). */
export class IdAllocator<N extends IdNamespace> {
  private count = 0;

  constructor(readonly namespace: N) {}

  next(): IdOf<N> {
    this.count++;
    const prefix = PREFIXES[this.namespace];
    return (prefix === undefined ? this.count : `${prefix}${this.count}`) as IdOf<N>;
  }

  owns(id: unknown): id is IdOf<N> {
    return inNamespace(this.namespace, id);
  }
}
