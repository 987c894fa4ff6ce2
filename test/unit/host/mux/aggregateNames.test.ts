import { strict as assert } from 'node:assert';
import { aggregateName, decodeCursor, encodeCursor, nameBudget } from '../../../../src/host/mux/aggregateNames';

describe('aggregateName', () => {
  it('joins server and name when both are safe and short', () => {
    assert.equal(aggregateName('github', 'create_issue'), 'github__create_issue');
  });

  it('leaves room for the client prefix mcp__shared-mcp__ within 64 characters', () => {
    assert.equal(nameBudget(), 64 - 'mcp__shared-mcp__'.length);
    const long = aggregateName('server', 'a'.repeat(80));
    assert.equal(long.length, nameBudget());
    assert.match(long, /^server__a+_[0-9a-f]{8}$/);
  });

  it('hashes names whose parts contain __, so a + b__c and a__b + c stay apart (regression)', () => {
    const x = aggregateName('a', 'b__pid');
    const y = aggregateName('a__b', 'pid');
    assert.notEqual(x, y);
    assert.match(x, /_[0-9a-f]{8}$/);
  });

  it('replaces unsafe characters and adds a hash, so different originals never meet', () => {
    const a = aggregateName('my.echo', 'echo');
    const b = aggregateName('my_echo', 'echo');
    assert.match(a, /^my_echo__echo_[0-9a-f]{8}$/);
    assert.equal(b, 'my_echo__echo');
    assert.notEqual(a, b);
    assert.notEqual(aggregateName('s', 'a'.repeat(80)), aggregateName('s', `${'a'.repeat(79)}b`));
  });
});

describe('aggregate cursors', () => {
  it('round-trip a server and its own cursor', () => {
    assert.deepEqual(decodeCursor(encodeCursor({ server: 'x', cursor: 'abc' })), { server: 'x', cursor: 'abc' });
    assert.deepEqual(decodeCursor(encodeCursor({ server: 'x', cursor: null })), { server: 'x', cursor: null });
  });

  it('reject anything else', () => {
    assert.equal(decodeCursor('not-base64-json'), undefined);
    assert.equal(decodeCursor(Buffer.from('[1,2]').toString('base64url')), undefined);
  });
});
