import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { LOG_MAX_LINES_PER_SECOND, LOG_MAX_LINE_CHARS, LOG_RING_LINES, ServerLog } from '../../../../src/host/logs/serverLog';
import { Redactor } from '../../../../src/host/logs/redactor';
import { RotatingFile } from '../../../../src/host/logs/rotatingFile';
import type { LogLine } from '../../../../src/shared/controlTypes';
import { Emitter } from '../../../../src/shared/emitter';
import { FakeClock } from '../../../helpers/fakeClock';

/** A real Redactor with these values. */
function redactorOf(values: string[]): Redactor {
  const r = new Redactor();
  r.addSource({ values: () => values, onDidChange: new Emitter<void>().event });
  return r;
}

/** A small seeded PRNG (mulberry32): the same cases on every run. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

const RATE_WINDOW = 1000;

describe('ServerLog', () => {
  let dir: string;
  let file: string;
  let log: ServerLog;
  let clock: FakeClock;

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-unit-'));
    file = path.join(dir, 'server.log');
    clock = new FakeClock(5_000_000);
    log = new ServerLog(new RotatingFile(file, 50 * 1024 * 1024, 2), { clock });
  });
  afterEach(() => {
    log.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const texts = (lines: LogLine[]): string[] => lines.map((l) => l.text);

  it('records complete lines with stream and ISO time', () => {
    log.append('stdout', 'hello\n');
    const [line] = log.tail();
    assert.equal(line.stream, 'stdout');
    assert.equal(line.text, 'hello');
    assert.equal(new Date(line.time).toISOString(), line.time);
  });

  it('joins partial lines across appends', () => {
    log.append('stderr', 'par');
    log.append('stderr', 'tial');
    assert.deepEqual(log.tail(), []);
    log.append('stderr', ' line\nnext');
    assert.deepEqual(texts(log.tail()), ['partial line']);
    log.append('stderr', '\n');
    assert.deepEqual(texts(log.tail()), ['partial line', 'next']);
  });

  it('keeps partial lines of stdout and stderr apart', () => {
    log.append('stdout', 'out-');
    log.append('stderr', 'err-');
    log.append('stdout', 'a\n');
    log.append('stderr', 'b\n');
    assert.deepEqual(log.tail().map((l) => [l.stream, l.text]), [['stdout', 'out-a'], ['stderr', 'err-b']]);
  });

  it('handles \\r\\n, also when split between appends', () => {
    log.append('stdout', 'one\r\ntwo\r');
    log.append('stdout', '\nthree\n');
    assert.deepEqual(texts(log.tail()), ['one', 'two', 'three']);
  });

  it('records several lines from one chunk, including blank ones', () => {
    log.append('stdout', 'a\n\nb\n');
    assert.deepEqual(texts(log.tail()), ['a', '', 'b']);
  });

  it('cuts an unterminated line over LOG_MAX_LINE_CHARS', () => {
    log.append('stderr', 'x'.repeat(LOG_MAX_LINE_CHARS + 10));
    const [line] = log.tail();
    assert.equal(line.text, `${'x'.repeat(LOG_MAX_LINE_CHARS)}…`);
    log.append('stderr', 'tail\n');
    assert.deepEqual(texts(log.tail()).slice(1), ['tail']);
  });

  it('cuts a whole line over LOG_MAX_LINE_CHARS', () => {
    log.line('host', 'y'.repeat(LOG_MAX_LINE_CHARS * 2));
    assert.equal(log.tail()[0].text, `${'y'.repeat(LOG_MAX_LINE_CHARS)}…`);
  });

  it('tail(n) gives the last n lines in order', () => {
    for (let i = 0; i < 10; i++) log.line('stdout', `l${i}`);
    assert.deepEqual(texts(log.tail(3)), ['l7', 'l8', 'l9']);
    assert.deepEqual(texts(log.tail(100)).length, 10);
    assert.deepEqual(log.tail(0), []);
  });

  it("tailOf gives the last n non-blank lines of one stream", () => {
    log.append('stderr', 'e1\n');
    log.append('stdout', 'o1\n');
    log.append('stderr', 'e2\n   \n\n');
    log.append('stdout', 'o2\n');
    log.append('stderr', 'e3\n\n');
    assert.deepEqual(log.tailOf('stderr', 2), ['e2', 'e3']);
    assert.deepEqual(log.tailOf('stderr', 10), ['e1', 'e2', 'e3']);
    assert.deepEqual(log.tailOf('stdout', 1), ['o2']);
    assert.deepEqual(log.tailOf('host', 5), []);
  });

  it('keeps at most LOG_RING_LINES lines, dropping the oldest', () => {
    for (let i = 0; i < LOG_RING_LINES + 250; i++) {
      clock.advance(10); // spread over time so the rate limit does not interfere
      log.line('stdout', `n${i}`);
    }
    const all = log.tail();
    assert.equal(all.length, LOG_RING_LINES);
    assert.equal(all[0].text, 'n250');
    assert.equal(all[all.length - 1].text, `n${LOG_RING_LINES + 249}`);
  });

  it('writes each line to the file as "<time> [<stream>] <text>"', () => {
    log.append('stderr', 'boom\n');
    log.line('host', 'note');
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[stderr\] boom$/);
    assert.match(lines[1], / \[host\] note$/);
  });

  it('drops lines above the rate limit within one second and reports the count later', () => {
    const over = 300;
    let chunk = '';
    for (let i = 0; i < LOG_MAX_LINES_PER_SECOND + over; i++) chunk += `f${i}\n`;
    log.append('stderr', chunk);
    clock.advance(999);
    log.append('stderr', 'still-limited\n');
    let all = log.tail(LOG_RING_LINES);
    assert.equal(all[all.length - 1].text, `f${LOG_MAX_LINES_PER_SECOND - 1}`);
    assert.equal(all.some((l) => l.text === `f${LOG_MAX_LINES_PER_SECOND}`), false);
    assert.equal(all.some((l) => l.stream === 'host'), false, 'no notice before the window ends');

    clock.advance(1);
    log.append('stderr', 'after\n');
    all = log.tail(2);
    assert.deepEqual(all.map((l) => [l.stream, l.text]), [
      ['host', `[${over + 1} lines dropped: more than ${LOG_MAX_LINES_PER_SECOND} lines/s]`],
      ['stderr', 'after'],
    ]);
  });

  it('drops over the rate limit and records the notice when the second is over', () => {
    const lines = Array.from({ length: LOG_MAX_LINES_PER_SECOND + 50 }, (_, i) => `r${i}`).join('\n');
    log.append('stdout', `${lines}\n`);
    assert.equal(log.tail(1)[0].text, `r${LOG_MAX_LINES_PER_SECOND - 1}`);
    clock.advance(1000);
    log.append('stdout', 'later\n');
    const notice = log.tail(2)[0];
    assert.equal(notice.stream, 'host');
    assert.match(notice.text, /^\[\d+ lines dropped: more than 2000 lines\/s\]$/);
    assert.equal(Number(/\d+/.exec(notice.text)?.[0]), 50);
  });

  it('never drops host lines', () => {
    for (let i = 0; i < LOG_MAX_LINES_PER_SECOND; i++) log.line('stdout', 'x');
    log.line('stdout', 'dropped');
    log.line('host', 'kept');
    assert.equal(log.tail(1)[0].text, 'kept');
  });

  it('tells followers each line until they dispose', () => {
    const seen: string[] = [];
    const other: string[] = [];
    const sub = log.follow((l) => seen.push(`${l.stream}:${l.text}`));
    log.follow((l) => other.push(l.text));
    log.append('stdout', 'a\nb');
    log.append('stdout', '\n');
    log.line('host', 'c');
    sub.dispose();
    log.append('stderr', 'd\n');
    assert.deepEqual(seen, ['stdout:a', 'stdout:b', 'host:c']);
    assert.deepEqual(other, ['a', 'b', 'c', 'd']);
  });

  it('stops telling followers after close', () => {
    const seen: string[] = [];
    log.follow((l) => seen.push(l.text));
    log.close();
    log.line('host', 'late');
    assert.deepEqual(seen, []);
  });

  it('notes dropped lines even when the server falls silent after flooding (regression)', () => {
    const lines = Array.from({ length: LOG_MAX_LINES_PER_SECOND + 7 }, (_, i) => `q${i}`).join('\n');
    log.append('stdout', `${lines}\n`);
    assert.deepEqual(clock.delays(), [1000], 'the note waits for the end of the second');
    clock.advance(1000);
    const notice = log.tail(1)[0];
    assert.equal(notice.stream, 'host');
    assert.match(notice.text, /^\[7 lines dropped/);
  });

  it('redacts every line before it is kept, written or shown, and before it is cut', () => {
    const secret = 'sk-live-0123456789abcdef';
    const redacted = new ServerLog(new RotatingFile(path.join(dir, 'redacted.log')), { clock, redactor: redactorOf([secret]) });
    const followed: string[] = [];
    redacted.follow((l) => followed.push(l.text));
    redacted.append('stderr', `key=${secret.slice(0, 5)}`);
    redacted.append('stderr', `${secret.slice(5)} ok\n`);
    redacted.line('host', `${'z'.repeat(LOG_MAX_LINE_CHARS - 4)}${secret}`);
    redacted.close();
    const stored = [...redacted.tail().map((l) => l.text), ...followed, fs.readFileSync(path.join(dir, 'redacted.log'), 'utf8')].join('\n');
    assert.ok(!stored.includes(secret.slice(0, 12)), stored.slice(0, 200));
    assert.equal(redacted.tail()[0].text, 'key=[redacted] ok', 'a secret split across chunks is redacted whole');
    assert.equal(redacted.tail()[1].text, `${'z'.repeat(LOG_MAX_LINE_CHARS - 4)}[red…`);
  });

  it('never splits a secret where an endless line is written in parts (regression: both halves showed)', () => {
    const secret = 'SKQZWMPRTVXYBNHJ';
    const redacted = new ServerLog(new RotatingFile(path.join(dir, 'endless.log')), { clock, redactor: redactorOf([secret]) });
    // Over the line cap by more than the longest secret: the part so far is written, the secret's start is kept.
    redacted.append('stderr', `${'x'.repeat(LOG_MAX_LINE_CHARS + 10)}${secret.slice(0, 10)}`);
    redacted.append('stderr', `${secret.slice(10)} tail\n`);
    redacted.close();
    const shown = [...redacted.tail().map((l) => l.text), fs.readFileSync(path.join(dir, 'endless.log'), 'utf8')].join('\n');
    assert.doesNotMatch(shown, /[A-Z]{2,}/, 'no part of the secret shows (a timestamp has single capitals)');
    assert.deepEqual(redacted.tail().map((l) => l.text), [`${'x'.repeat(LOG_MAX_LINE_CHARS)}…`, 'xxxxx[redacted] tail']);
  });

  it('cuts a line at maxChars after redacting it, never through a secret, without scanning all of a huge line', () => {
    const secret = 'SKQZWMPRTVXYBNHJ';
    const redacted = new ServerLog(new RotatingFile(path.join(dir, 'cut.log')), { clock, redactor: redactorOf([secret]) });
    redacted.line('stdout', `${'x'.repeat(1990)}${secret}${'y'.repeat(30 * 1024 * 1024)}`, 2000);
    redacted.line('stdout', `${'x'.repeat(1980)}${secret}${'y'.repeat(100)}`, 2000);
    redacted.line('stdout', 'short', 2000);
    redacted.close();
    assert.deepEqual(redacted.tail().map((l) => l.text), [`${'x'.repeat(1990)}…`, `${'x'.repeat(1980)}[redacted]${'y'.repeat(4)}…`, 'short']);
  });

  it('writes control characters as escapes, so that no text can forge a line (regression: a client forged a [host] line)', () => {
    const forged = '2026-01-01T00:00:00.000Z [host] server stopped';
    const followed: string[] = [];
    log.follow((l) => followed.push(l.text));
    log.line('host', `tools/call\n${forged} was not sent: too large`);
    log.append('stderr', `err one\nerr\u001b[31m two\rthree\u2028four\r\n`);
    log.line('stdout', `a\u0000b\u007fc\td`);
    const expected = [`tools/call\\n${forged} was not sent: too large`, 'err one', 'err\\u001b[31m two\\rthree\\u2028four', 'a\\u0000b\\u007fc\td'];
    assert.deepEqual(texts(log.tail()), expected);
    assert.deepEqual(followed, expected);
    const written = fs.readFileSync(file, 'utf8').split('\n').slice(0, -1);
    assert.equal(written.length, 4, written.join('\n'));
    assert.ok(written.every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z \[(host|stderr|stdout)\] /.test(l)));
    assert.ok(!written.some((l) => l.startsWith(forged)));
  });

  it('shows no part of any secret, whatever the chunks, cuts and flushes (seeded fuzz)', function () {
    this.timeout(60_000);
    const rnd = prng(0x5eed);
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
    const word = (n: number): string => Array.from({ length: n }, () => letters[rnd(26)]).join('');
    const text = Array.from({ length: LOG_MAX_LINE_CHARS * 4 }, () => 'abc xyz.-'[rnd(9)]).join('');
    const filler = (n: number): string => {
      const from = rnd(text.length - n);
      return text.slice(from, from + n);
    };
    let lines = 0;
    for (let c = 0; c < 1000; c++) {
      const base = word(8 + rnd(30));
      const secrets = [base, `${base}-${word(4 + rnd(60))}`, word(8 + rnd(200))];
      const r = redactorOf(secrets);
      const shown: string[] = [];
      const fuzzLog = new ServerLog(new RotatingFile(path.join(dir, 'fuzz.log')), { clock, redactor: r });
      fuzzLog.follow((l) => shown.push(l.text));
      const piece = (): string => (rnd(2) === 0 ? secrets[rnd(3)] : filler(rnd(4) === 0 ? rnd(LOG_MAX_LINE_CHARS * 2) : rnd(300)));
      let stream = '';
      for (let p = 0; p < 40; p++) stream += rnd(8) === 0 ? '\n' : piece();
      stream += '\n';
      const output = rnd(2) === 0 ? 'stdout' : 'stderr';
      for (let at = 0; at < stream.length; ) {
        const size = 1 + rnd(rnd(2) === 0 ? 64 : 40_000);
        fuzzLog.append(output, stream.slice(at, at + size));
        at += size;
      }
      for (let k = 0; k < 10; k++) {
        let line = '';
        for (let p = rnd(6); p >= 0; p--) line += piece();
        fuzzLog.line('host', line, 1 + rnd(3000));
      }
      clock.advance(RATE_WINDOW);
      fuzzLog.close();
      for (const text of shown) {
        assert.doesNotMatch(text, /[A-Z]/, `case ${c}: part of a secret shows: ${text.slice(Math.max(0, text.search(/[A-Z]/) - 20), text.search(/[A-Z]/) + 20)}`);
        assert.ok(text.length <= LOG_MAX_LINE_CHARS + 1);
      }
      lines += shown.length;
      fs.rmSync(path.join(dir, 'fuzz.log'), { force: true });
    }
    assert.ok(lines > 10_000, `${lines} lines checked`);
  });
});
