import type { Readable } from 'node:stream';

/** Calls onData with each event's data (multi-line data joined with "\n"); comments and other fields are ignored. */
export function parseSse(stream: Readable, onData: (data: string) => void): void {
  let buffer = '';
  let data: string[] = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl).replace(/\r$/, '');
      buffer = buffer.slice(nl + 1);
      if (line === '') {
        if (data.length > 0) onData(data.join('\n'));
        data = [];
      } else if (line.startsWith('data:')) {
        data.push(line.slice(line.startsWith('data: ') ? 6 : 5));
      }
    }
  });
}
