import { strict as assert } from 'node:assert';
import { Emitter } from '../../../../src/shared/emitter';
import { MIN_REDACTED_CHARS, REDACTED, Redactor } from '../../../../src/host/logs/redactor';

class Source {
  private readonly emitter = new Emitter<void>();
  readonly onDidChange = this.emitter.event;
  constructor(public list: string[]) {}
  values(): string[] {
    return this.list;
  }
  set(list: string[]): void {
    this.list = list;
    this.emitter.fire();
  }
}

describe('Redactor', () => {
  it('replaces every occurrence of every value of every source', () => {
    const r = new Redactor();
    r.addSource(new Source(['sk-alpha-123456']));
    r.addSource(new Source(['tok-beta-987654']));
    assert.equal(r.redact('a sk-alpha-123456 b tok-beta-987654 c sk-alpha-123456'), `a ${REDACTED} b ${REDACTED} c ${REDACTED}`);
  });

  it('leaves text alone when there is nothing to redact', () => {
    const r = new Redactor();
    assert.equal(r.redact('plain'), 'plain');
    r.addSource(new Source([]));
    assert.equal(r.redact('plain'), 'plain');
  });

  it(`does not redact values shorter than ${MIN_REDACTED_CHARS} characters (they would garble every line)`, () => {
    const r = new Redactor();
    r.addSource(new Source(['1', 'true', 'x'.repeat(MIN_REDACTED_CHARS - 1), 'y'.repeat(MIN_REDACTED_CHARS)]));
    assert.equal(r.redact(`1 true ${'x'.repeat(MIN_REDACTED_CHARS - 1)} ${'y'.repeat(MIN_REDACTED_CHARS)}`), `1 true ${'x'.repeat(MIN_REDACTED_CHARS - 1)} ${REDACTED}`);
  });

  it('replaces a secret that contains another one whole (longest first)', () => {
    const r = new Redactor();
    r.addSource(new Source(['abcdefgh', 'abcdefgh-ijklmnop']));
    assert.equal(r.redact('abcdefgh-ijklmnop'), REDACTED);
  });

  it('treats values literally (regex characters) and also finds them as JSON-escaped text', () => {
    const r = new Redactor();
    r.addSource(new Source(['a.b*c+d?(e)[f]', 'quote"back\\slash']));
    assert.equal(r.redact('x a.b*c+d?(e)[f] axbbbc'), `x ${REDACTED} axbbbc`);
    assert.equal(r.redact(JSON.stringify({ key: 'quote"back\\slash' })), `{"key":"${REDACTED}"}`);
  });

  it('follows its sources: a new value is redacted at once', () => {
    const r = new Redactor();
    const s = new Source(['first-secret-value']);
    r.addSource(s);
    assert.equal(r.redact('first-secret-value second-secret-value'), `${REDACTED} second-secret-value`);
    s.set(['first-secret-value', 'second-secret-value']);
    assert.equal(r.redact('first-secret-value second-secret-value'), `${REDACTED} ${REDACTED}`);
  });

  it('keeps redacting a value its source replaced or dropped, and one of a disposed source (regression: the old value showed)', () => {
    const r = new Redactor();
    const s = new Source(['first-secret-value']);
    const sub = r.addSource(s);
    // Replaced before anything was redacted with it: the value is learnt when the source changes, not when redact() runs.
    s.set(['second-secret-value']);
    s.set([]);
    assert.equal(r.redact('first-secret-value second-secret-value'), `${REDACTED} ${REDACTED}`, 'a process started with an old value can still print it');
    sub.dispose();
    r.dispose();
    assert.equal(r.redact('second-secret-value'), REDACTED, 'disposing stops listening, not redacting');
  });

  it('redacts each line of a multi-line value (a PEM key printed to a log arrives one line at a time)', () => {
    const r = new Redactor();
    const pem = '-----BEGIN KEY-----\nMIIEvQIBADANBgkqhkiG9w0B\r\nAQEFAASCBKcwggSjAgEAAoIB\nshort\n-----END KEY-----';
    r.addSource(new Source([pem]));
    assert.equal(r.redact(`got ${pem}`), `got ${REDACTED}`);
    assert.equal(r.redact('line: MIIEvQIBADANBgkqhkiG9w0B'), `line: ${REDACTED}`);
    assert.equal(r.redact('AQEFAASCBKcwggSjAgEAAoIB short'), `${REDACTED} short`, 'a line shorter than the minimum stays');
  });

  it('longestMatchChars is the longest text one replacement covers, the JSON-escaped form included', () => {
    const r = new Redactor();
    assert.equal(r.longestMatchChars(), 0);
    const s = new Source(['abcdefgh']);
    r.addSource(s);
    assert.equal(r.longestMatchChars(), 8);
    s.set(['quote"back\\slash']);
    assert.equal(r.longestMatchChars(), JSON.stringify('quote"back\\slash').length - 2);
  });

  it('safeCut moves a cut that would split a value to the start of that value, and leaves other cuts alone', () => {
    const r = new Redactor();
    assert.equal(r.safeCut('anything at all', 5), 5, 'nothing to redact: any cut is safe');
    r.addSource(new Source(['SECRET-12345', 'SECRET-12345-LONGER']));
    const text = 'abc SECRET-12345-LONGER def SECRET-12345 ghi';
    assert.equal(r.safeCut(text, 2), 2);
    assert.equal(r.safeCut(text, 4), 4, 'a cut just before a value');
    assert.equal(r.safeCut(text, 10), 4, 'inside the longer value');
    assert.equal(r.safeCut(text, 23), 23, 'just after it');
    assert.equal(r.safeCut(text, 35), 28, 'inside the second');
    for (let at = 0; at <= text.length; at++) {
      const cut = r.safeCut(text, at);
      assert.ok(cut <= at);
      assert.equal(r.redact(text.slice(0, cut)) + r.redact(text.slice(cut)), r.redact(text), `cut ${cut} for ${at}`);
    }
  });
});
