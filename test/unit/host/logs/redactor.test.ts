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

  it('follows its sources: a new value is redacted, a removed one no longer', () => {
    const r = new Redactor();
    const s = new Source(['first-secret-value']);
    const sub = r.addSource(s);
    assert.equal(r.redact('first-secret-value'), REDACTED);
    s.set(['second-secret-value']);
    assert.equal(r.redact('first-secret-value second-secret-value'), `first-secret-value ${REDACTED}`);
    sub.dispose();
    assert.equal(r.redact('second-secret-value'), 'second-secret-value');
  });
});
