import { strict as assert } from 'node:assert';
import { PassThrough } from 'node:stream';
import { parseSse } from '../../../src/client/sseParser';

function feed(chunks: string[], maxChars?: number): { data: string[]; errors: string[] } {
  const stream = new PassThrough();
  const data: string[] = [];
  const errors: string[] = [];
  parseSse(stream, (d) => data.push(d), (e) => errors.push(e.message), maxChars);
  for (const c of chunks) stream.write(c);
  return { data, errors };
}

describe('parseSse', () => {
  it('passes each event’s data on, joined over data lines, across chunks and CRLF; ignores comments and other fields', () => {
    const { data, errors } = feed([': connected\n\n', 'event: message\ndata: {"a":', '1}\n\n', ': ping\r\n\r\n', 'data: one\r\ndata: two\r\n\r\n', 'id: 7\ndata:tight\n\n']);
    assert.deepEqual(data, ['{"a":1}', 'one\ntwo', 'tight']);
    assert.deepEqual(errors, []);
  });

  it('gives up, once, on an event larger than the bound instead of buffering without end', () => {
    const { data, errors } = feed(['data: ok\n\n', `data: ${'x'.repeat(200)}`, 'y'.repeat(50), 'data: late\n\n'], 100);
    assert.deepEqual(data, ['ok']);
    assert.deepEqual(errors, ['an event over 100 characters']);
  });
});
