/** A message handed to the transport and not sent yet; `claimed` once a fetch has taken it as its body. */
interface Unsent {
  bytes: number;
  claimed: boolean;
  released: boolean;
}

/** Enough of a message's JSON text to find it again in a fetch's body without keeping the text (ids sit at the start). */
const FINGERPRINT_CHARS = 128;

/**
 * The bytes of messages handed to a remote's SDK transport whose HTTP body has not been sent yet: what the server
 * has not read, counted against its maxQueueSize. The SDK's send() awaits the whole answer of a JSON-answering
 * server, so the count does not end with it: the fetch's body is made a stream of the same bytes (same
 * Content-Length), and a message counts until the fetch has taken all of it. A message that never became a body
 * (the send failed first) counts until its send settles.
 */
export class UnsentBodies {
  private total = 0;
  private readonly waiting = new Map<string, Unsent[]>();

  /** Bytes waiting to be sent. */
  get bytes(): number {
    return this.total;
  }

  /** Counts a message about to be sent (its JSON text, as the transport writes it); returns what releases it, once. */
  add(text: string, bytes: number): () => void {
    const key = fingerprint(text);
    const unsent: Unsent = { bytes, claimed: false, released: false };
    this.total += bytes;
    this.waiting.set(key, [...(this.waiting.get(key) ?? []), unsent]);
    return () => this.release(key, unsent);
  }

  /** A fetch the transport makes: a body that is a message counted here becomes a stream whose end releases it. */
  observe(init: RequestInit | undefined): RequestInit | undefined {
    const body = init?.body;
    if (typeof body !== 'string') return init;
    const key = fingerprint(body);
    const unsent = this.waiting.get(key)?.find((u) => !u.claimed);
    if (!unsent) return init;
    unsent.claimed = true;
    const bytes = Buffer.from(body, 'utf8');
    const headers = new Headers(init?.headers);
    headers.set('content-length', String(bytes.length));
    const stream = bodyStream(bytes, () => this.release(key, unsent));
    // duplex: what Node's fetch requires of a streamed body.
    return { ...init, headers, body: stream, duplex: 'half' } as RequestInit;
  }

  private release(key: string, unsent: Unsent): void {
    if (unsent.released) return;
    unsent.released = true;
    this.total -= unsent.bytes;
    const left = (this.waiting.get(key) ?? []).filter((u) => u !== unsent);
    if (left.length > 0) this.waiting.set(key, left);
    else this.waiting.delete(key);
  }
}

function fingerprint(text: string): string {
  return `${text.length}:${text.slice(0, FINGERPRINT_CHARS)}:${text.slice(-FINGERPRINT_CHARS)}`;
}

/**
 * The bytes as a stream that is pulled only when the fetch wants more (high-water mark 0): it asks for the end
 * once it has written the bytes (and the socket drained), and that is when `onSent` runs; a cancel counts too.
 */
function bodyStream(bytes: Buffer, onSent: () => void): ReadableStream<Uint8Array> {
  let given = false;
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        if (!given) {
          given = true;
          controller.enqueue(bytes);
          return;
        }
        onSent();
        controller.close();
      },
      cancel: onSent,
    },
    { highWaterMark: 0 },
  );
}
