import { strict as assert } from 'node:assert';
import { LineFramer } from '../../../../src/host/backends/lineFramer';

function framer(maxBytes: number): { f: LineFramer; lines: string[]; oversized: number[] } {
  const lines: string[] = [];
  const oversized: number[] = [];
  const f = new LineFramer(
    maxBytes,
    (line) => lines.push(line.toString('utf8')),
    (bytes) => oversized.push(bytes),
  );
  return { f, lines, oversized };
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The bytes the framer holds for an unfinished line (white-box: proves an endless line is not kept). */
function heldBytes(f: LineFramer): number {
  const chunks = (f as unknown as { chunks: Buffer[] }).chunks;
  assert.ok(Array.isArray(chunks), 'LineFramer no longer has a chunks array; update this test');
  return chunks.reduce((n, c) => n + c.length, 0);
}

describe('LineFramer', () => {
  it('emits one line per newline in a single chunk', () => {
    const { f, lines, oversized } = framer(100);
    f.push(b('{"a":1}\n{"b":2}\n{"c":3}\n'));
    assert.deepEqual(lines, ['{"a":1}', '{"b":2}', '{"c":3}']);
    assert.deepEqual(oversized, []);
  });

  it('joins a line split across chunks', () => {
    const { f, lines } = framer(100);
    f.push(b('{"jsonrpc":'));
    f.push(b('"2.0",'));
    assert.deepEqual(lines, []);
    f.push(b('"id":1}\n{"next"'));
    assert.deepEqual(lines, ['{"jsonrpc":"2.0","id":1}']);
    f.push(b(':true}\n'));
    assert.deepEqual(lines, ['{"jsonrpc":"2.0","id":1}', '{"next":true}']);
  });

  it('joins a multi-byte character split across chunks', () => {
    const { f, lines } = framer(100);
    const bytes = b('"é€"\n');
    f.push(bytes.subarray(0, 2));
    f.push(bytes.subarray(2, 4));
    f.push(bytes.subarray(4));
    assert.deepEqual(lines, ['"é€"']);
  });

  it('handles one byte at a time', () => {
    const { f, lines } = framer(100);
    for (const byte of b('ab\ncd\n')) f.push(Buffer.from([byte]));
    assert.deepEqual(lines, ['ab', 'cd']);
  });

  it('skips empty lines', () => {
    const { f, lines, oversized } = framer(100);
    f.push(b('\n\na\n\n'));
    f.push(b('\nb\n'));
    assert.deepEqual(lines, ['a', 'b']);
    assert.deepEqual(oversized, []);
  });

  it('accepts a line of exactly maxBytes', () => {
    const { f, lines, oversized } = framer(10);
    f.push(b(`${'x'.repeat(6)}`));
    f.push(b(`${'x'.repeat(4)}\n`));
    assert.deepEqual(lines, ['x'.repeat(10)]);
    assert.deepEqual(oversized, []);
  });

  it('reports a line over maxBytes in one chunk with its size, and the next line arrives intact', () => {
    const { f, lines, oversized } = framer(10);
    f.push(b(`${'y'.repeat(25)}\n{"ok":1}\n`));
    assert.deepEqual(oversized, [25]);
    assert.deepEqual(lines, ['{"ok":1}']);
  });

  it('reports a line over maxBytes split across chunks with its total size', () => {
    const { f, lines, oversized } = framer(10);
    f.push(b('before\n' + 'z'.repeat(8)));
    f.push(b('z'.repeat(8)));
    f.push(b('z'.repeat(4) + '\nafter'));
    assert.deepEqual(oversized, [20]);
    assert.deepEqual(lines, ['before']);
    f.push(b('\n'));
    assert.deepEqual(lines, ['before', 'after']);
    assert.deepEqual(oversized, [20]);
  });

  it('reports a line that only crosses the cap with its last piece', () => {
    const { f, lines, oversized } = framer(10);
    f.push(b('a'.repeat(8)));
    f.push(b('a'.repeat(5) + '\nnext\n'));
    assert.deepEqual(oversized, [13]);
    assert.deepEqual(lines, ['next']);
  });

  it('does not keep the chunks of an endless line over the cap', () => {
    const { f, lines, oversized } = framer(1024);
    const chunk = b('q'.repeat(4096));
    for (let i = 0; i < 1000; i++) {
      f.push(chunk);
      assert.equal(heldBytes(f), 0, `held bytes after chunk ${i}`);
    }
    assert.deepEqual(oversized, [], 'nothing is reported before the line ends');
    f.push(b('\n{"id":2}\n'));
    assert.deepEqual(oversized, [4096 * 1000]);
    assert.deepEqual(lines, ['{"id":2}']);
    assert.equal(heldBytes(f), 0);
  });

  it('holds no more than maxBytes of an unfinished line', () => {
    const { f } = framer(1024);
    f.push(b('w'.repeat(1000)));
    assert.equal(heldBytes(f), 1000);
    f.push(b('w'.repeat(100)));
    assert.equal(heldBytes(f), 0);
  });
});
