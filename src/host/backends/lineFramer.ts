/** How many bytes of an oversized message's start and end are kept to find its id. */
const EDGE_BYTES = 512;

/** Splits a byte stream into newline-delimited messages without re-scanning old bytes; caps a single message. */
export class LineFramer {
  private chunks: Buffer[] = [];
  private pending = 0;
  private discarding = false;
  private head: Buffer = Buffer.alloc(0);
  private tail: Buffer = Buffer.alloc(0);

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: Buffer) => void,
    /** An over-cap line, with its first and last bytes (for the id). */
    private readonly onOversized: (bytes: number, head: Buffer, tail: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf(10, start)) >= 0) {
      const piece = chunk.subarray(start, nl);
      if (this.discarding) {
        this.keepEdges(piece);
        this.onOversized(this.pending + piece.length, this.head, this.tail);
        this.discarding = false;
      } else if (this.pending + piece.length > this.maxBytes) {
        const whole = this.chunks.length === 0 ? piece : Buffer.concat([...this.chunks, piece]);
        this.onOversized(whole.length, whole.subarray(0, EDGE_BYTES), whole.subarray(Math.max(0, whole.length - EDGE_BYTES)));
      } else {
        const line = this.chunks.length === 0 ? piece : Buffer.concat([...this.chunks, piece]);
        if (line.length > 0) this.onLine(line);
      }
      this.chunks = [];
      this.pending = 0;
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.pending += rest.length;
      if (this.discarding) {
        this.keepEdges(rest);
      } else if (this.pending > this.maxBytes) {
        // Keep counting, stop keeping: an endless line must not grow memory.
        const kept = Buffer.concat([...this.chunks, rest]);
        this.head = Buffer.from(kept.subarray(0, EDGE_BYTES));
        this.tail = Buffer.alloc(0);
        this.keepEdges(kept);
        this.discarding = true;
        this.chunks = [];
      } else {
        this.chunks.push(rest);
      }
    }
  }

  private keepEdges(piece: Buffer): void {
    const joined = Buffer.concat([this.tail, piece.subarray(Math.max(0, piece.length - EDGE_BYTES))]);
    this.tail = Buffer.from(joined.subarray(Math.max(0, joined.length - EDGE_BYTES)));
  }
}

/** The top-level id of a JSON-RPC message from its first or last bytes, when it sits at either end (as servers write it). */
export function recoverId(head: Buffer, tail: Buffer): string | number | undefined {
  const start = /^\s*\{\s*"jsonrpc"\s*:\s*"2\.0"\s*,\s*"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")/.exec(head.toString('utf8')) ?? /^\s*\{\s*"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")/.exec(head.toString('utf8'));
  const end = /"id"\s*:\s*(-?\d+|"(?:[^"\\]|\\.)*")\s*(?:,\s*"jsonrpc"\s*:\s*"2\.0"\s*)?\}\s*$/.exec(tail.toString('utf8'));
  const raw = start?.[1] ?? end?.[1];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as string | number;
  } catch {
    return undefined;
  }
}
