import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RotatingFile } from '../../../../src/host/logs/rotatingFile';

describe('RotatingFile', () => {
  let dir: string;
  let file: string;
  let rf: RotatingFile | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-unit-'));
    file = path.join(dir, 'server.log');
  });
  afterEach(() => {
    rf?.close();
    rf = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const read = (p: string): string => fs.readFileSync(p, 'utf8');
  const mode = (p: string): number => fs.statSync(p).mode & 0o777;

  it('appends lines to the file, created with mode 0600', () => {
    rf = new RotatingFile(file, 1000, 3);
    rf.write('one\n');
    rf.write('two\n');
    assert.equal(read(file), 'one\ntwo\n');
    assert.equal(mode(file), 0o600);
  });

  it('appends to an existing file and counts its size', () => {
    fs.writeFileSync(file, 'x'.repeat(8), { mode: 0o600 });
    rf = new RotatingFile(file, 10, 3);
    rf.write('ab');
    assert.equal(read(file), 'x'.repeat(8) + 'ab');
    rf.write('c');
    assert.equal(read(file), 'c');
    assert.equal(read(`${file}.1`), 'x'.repeat(8) + 'ab');
  });

  it('rotates at maxBytes into file.1, file.2 … keeping `keep` generations, all mode 0600', () => {
    rf = new RotatingFile(file, 10, 3);
    for (const ch of ['a', 'b', 'c', 'd', 'e', 'f']) rf.write(`${ch.repeat(9)}\n`);
    assert.equal(read(file), 'fffffffff\n');
    assert.equal(read(`${file}.1`), 'eeeeeeeee\n');
    assert.equal(read(`${file}.2`), 'ddddddddd\n');
    assert.equal(read(`${file}.3`), 'ccccccccc\n');
    assert.equal(fs.existsSync(`${file}.4`), false);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['server.log', 'server.log.1', 'server.log.2', 'server.log.3']);
    for (const f of fs.readdirSync(dir)) assert.equal(mode(path.join(dir, f)), 0o600, f);
  });

  it('keeps several writes in one generation until the next would exceed maxBytes', () => {
    rf = new RotatingFile(file, 10, 2);
    rf.write('1234\n');
    rf.write('5678\n');
    assert.equal(fs.existsSync(`${file}.1`), false);
    rf.write('9\n');
    assert.equal(read(`${file}.1`), '1234\n5678\n');
    assert.equal(read(file), '9\n');
  });

  it('writes a single write larger than maxBytes whole into an empty file', () => {
    rf = new RotatingFile(file, 4, 2);
    rf.write('0123456789\n');
    assert.equal(read(file), '0123456789\n');
    assert.equal(fs.existsSync(`${file}.1`), false);
    rf.write('x\n');
    assert.equal(read(`${file}.1`), '0123456789\n');
    assert.equal(read(file), 'x\n');
  });

  it('counts bytes, not characters', () => {
    rf = new RotatingFile(file, 6, 2);
    rf.write('éé\n'); // 5 bytes
    rf.write('é\n'); // 3 bytes: 8 > 6 rotates
    assert.equal(read(`${file}.1`), 'éé\n');
    assert.equal(read(file), 'é\n');
  });

  it('keeps only file.1 with keep = 1', () => {
    rf = new RotatingFile(file, 2, 1);
    for (const ch of ['a', 'b', 'c', 'd']) rf.write(`${ch}\n`);
    assert.deepEqual(fs.readdirSync(dir).sort(), ['server.log', 'server.log.1']);
    assert.equal(read(`${file}.1`), 'c\n');
    assert.equal(read(file), 'd\n');
  });

  it('ignores writes after close', () => {
    rf = new RotatingFile(file, 100, 2);
    rf.write('a\n');
    rf.close();
    rf.write('b\n');
    assert.equal(read(file), 'a\n');
  });

  it('drops a line instead of throwing when the folder is gone', () => {
    rf = new RotatingFile(path.join(dir, 'missing', 'x.log'), 100, 2);
    assert.doesNotThrow(() => rf?.write('a\n'));
  });

  it('tells its listener once when writes start failing, and again only after one worked (regression)', () => {
    const gone = path.join(dir, 'gone', 'server.log');
    const errors: string[] = [];
    rf = new RotatingFile(gone, 3, 3, (f, err) => errors.push(`${f}: ${(err as NodeJS.ErrnoException).code}`));
    rf.write('a\n');
    rf.write('b\n');
    assert.deepEqual(errors, [`${gone}: ENOENT`]);
    fs.mkdirSync(path.dirname(gone));
    rf.write('c\n');
    assert.equal(read(gone), 'c\n');
    fs.rmSync(path.dirname(gone), { recursive: true });
    rf.write('d\n'); // rotates: the rename fails
    rf.write('e\n');
    assert.equal(errors.length, 2);
  });
});
