/** Splits a byte stream into newline-delimited messages without re-scanning old bytes; caps a single message. */
export class LineFramer {
  private chunks: Buffer[] = [];
  private pending = 0;
  private discarding = false;

  constructor(
    private readonly maxBytes: number,
    private readonly onLine: (line: Buffer) => void,
    private readonly onOversized: (bytes: number) => void,
  ) {}

  push(chunk: Buffer): void {
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf(10, start)) >= 0) {
      const piece = chunk.subarray(start, nl);
      if (this.discarding) {
        this.onOversized(this.pending + piece.length);
        this.discarding = false;
      } else if (this.pending + piece.length > this.maxBytes) {
        this.onOversized(this.pending + piece.length);
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
      if (this.discarding || this.pending > this.maxBytes) {
        // Keep counting, stop keeping: an endless line must not grow memory.
        this.discarding = true;
        this.chunks = [];
      } else {
        this.chunks.push(rest);
      }
    }
  }
}
