import type { Readable } from 'node:stream';

/** An event larger than this (its data lines together, or one unfinished line) is not an event of ours: the stream is broken. */
export const MAX_SSE_EVENT_CHARS = 64 * 1024 * 1024;

/**
 * Calls onData with each event's data (multi-line data joined with "\n"); comments (`: ping`) and other fields are
 * ignored. An event over MAX_SSE_EVENT_CHARS calls onError once and nothing after it.
 */
export function parseSse(stream: Readable, onData: (data: string) => void, onError: (err: Error) => void = () => undefined, maxChars = MAX_SSE_EVENT_CHARS): void {
  let buffer = '';
  let data: string[] = [];
  let size = 0;
  let broken = false;
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    if (broken) return;
    buffer += chunk;
    let start = 0;
    let nl: number;
    while ((nl = buffer.indexOf('\n', start)) >= 0) {
      const end = nl > start && buffer.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      const line = buffer.slice(start, end);
      start = nl + 1;
      if (line === '') {
        if (data.length > 0) onData(data.join('\n'));
        data = [];
        size = 0;
      } else if (line.startsWith('data:')) {
        const value = line.slice(line.startsWith('data: ') ? 6 : 5);
        size += value.length;
        data.push(value);
      }
    }
    buffer = buffer.slice(start);
    if (size + buffer.length > maxChars) {
      broken = true;
      buffer = '';
      data = [];
      onError(new Error(`an event over ${maxChars} characters`));
    }
  });
}
