import { RPC_INTERNAL_ERROR, errorResponse, type JsonRpcId, type JsonRpcMessage } from '../backends/jsonRpc';

/**
 * The JSON text of one message for a client, never over maxBytes and never a throw: a message that cannot be written
 * (nested too deep for JSON.stringify, or over the cap) becomes an error answer to its request; a notification that
 * cannot be written is undefined (dropped).
 */
export function serializeForClient(msg: JsonRpcMessage, maxBytes: number): string | undefined {
  let text: string;
  try {
    text = JSON.stringify(msg);
  } catch (err) {
    return replacement(msg, `the answer could not be passed on (${err instanceof Error ? err.message : String(err)})`);
  }
  // Only counted when the length alone cannot tell (a UTF-16 unit is at most 3 bytes of UTF-8).
  if (text.length * 3 <= maxBytes) return text;
  const bytes = Buffer.byteLength(text);
  if (bytes <= maxBytes) return text;
  return replacement(msg, `the answer is ${bytes} bytes, over the host's cap of ${maxBytes} (settings.maxMessageSize)`);
}

function replacement(msg: JsonRpcMessage, message: string): string | undefined {
  if (msg.method !== undefined || msg.id === undefined || msg.id === null) return undefined;
  return JSON.stringify(errorResponse(msg.id, RPC_INTERNAL_ERROR, message));
}

/**
 * The answers of one POST collected into one JSON body (a message, or a batch's array), never over maxBytes. Room
 * is held for a short error per request still to come; an answer that does not fit beside them becomes its error,
 * so a batch of 80,000 `tools/list` cannot build a 600 MB string.
 */
export class CollectedAnswers {
  private readonly parts: string[] = [];
  /** What is collected, with the brackets and commas of an array. */
  private bytes = 2;
  /** The error answers of the requests still waited for. */
  private reserved = 0;
  private readonly message: string;

  constructor(
    private readonly maxBytes: number,
    ids: Iterable<JsonRpcId>,
  ) {
    // Plain ASCII with nothing to escape: its JSON is the text in quotes (no JSON.stringify on every POST).
    this.message = `"the answers to this batch are over the host's cap of ${maxBytes} bytes (settings.maxMessageSize): this one was left out; send fewer requests at once"`;
    for (const id of ids) this.reserved += this.errorBytes(id);
  }

  /** Whether the errors alone fit: a batch too large for that is refused before it is served. */
  get fits(): boolean {
    return this.bytes + this.reserved <= this.maxBytes;
  }

  get count(): number {
    return this.parts.length;
  }

  add(msg: JsonRpcMessage): void {
    const id = msg.id as JsonRpcId;
    const fallback = this.errorBytes(id);
    this.reserved -= fallback;
    const text = serializeForClient(msg, this.maxBytes);
    if (text === undefined) return;
    const size = Buffer.byteLength(text) + 1;
    if (this.bytes + size + this.reserved <= this.maxBytes) {
      this.parts.push(text);
      this.bytes += size;
    } else {
      this.parts.push(this.errorText(id));
      this.bytes += fallback;
    }
  }

  /** Takes the collected texts out (to go down an SSE stream instead). */
  drain(): string[] {
    return this.parts.splice(0);
  }

  body(batch: boolean): string {
    return batch ? `[${this.parts.join(',')}]` : (this.parts[0] ?? '');
  }

  private errorText(id: JsonRpcId): string {
    return `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"error":{"code":${RPC_INTERNAL_ERROR},"message":${this.message}}}`;
  }

  /** Its text and a comma; the text is ASCII unless a string id is not. */
  private errorBytes(id: JsonRpcId): number {
    const text = this.errorText(id);
    return (typeof id === 'number' ? text.length : Buffer.byteLength(text)) + 1;
  }
}
