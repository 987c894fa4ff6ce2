import { strict as assert } from 'node:assert';
import { BearerToken } from '../../../../src/host/http/bearerToken';

describe('BearerToken', () => {
  const t = new BearerToken('a'.repeat(64));
  it('accepts the token in the usual and in other spellings', () => {
    assert.equal(t.matches(`Bearer ${'a'.repeat(64)}`), true);
    assert.equal(t.matches(`bearer   ${'a'.repeat(64)} `), true);
  });
  it('refuses a missing, wrong, shorter or longer token', () => {
    assert.equal(t.matches(undefined), false);
    assert.equal(t.matches(''), false);
    assert.equal(t.matches(`Bearer ${'b'.repeat(64)}`), false);
    assert.equal(t.matches(`Bearer ${'a'.repeat(63)}`), false);
    assert.equal(t.matches(`Bearer ${'a'.repeat(65)}`), false);
    assert.equal(t.matches(`Basic ${'a'.repeat(64)}`), false);
    // Same length as the expected header but multi-byte: compared as bytes, refused.
    assert.equal(t.matches(`Bearer ${'é'.repeat(64)}`), false);
  });
});
