import { strict as assert } from 'node:assert';
import { parseSecretsUpdate } from '../../../../src/host/http/secretsApi';
import { SharedMcpError } from '../../../../src/shared/errors';

const VALUE = 'never-echo-this-value';

function rejects(body: unknown, message: RegExp): void {
  assert.throws(
    () => parseSecretsUpdate(body),
    (e: unknown) => {
      assert.ok(e instanceof SharedMcpError);
      assert.equal(e.code, 'BAD_REQUEST');
      assert.match(e.message, message);
      assert.ok(!e.message.includes(VALUE), e.message);
      return true;
    },
  );
}

describe('parseSecretsUpdate', () => {
  it('accepts set and delete, each optional', () => {
    assert.deepEqual(parseSecretsUpdate({ set: { A: 'x', 'db.pass-2': 'y', _b: 'z' }, delete: ['C'] }), { set: { A: 'x', 'db.pass-2': 'y', _b: 'z' }, delete: ['C'] });
    assert.deepEqual(parseSecretsUpdate({}), { set: {}, delete: [] });
    assert.deepEqual(parseSecretsUpdate({ delete: ['A'] }), { set: {}, delete: ['A'] });
  });

  it('keeps a value as it is: spaces, newlines (a PEM key) and ${...} text', () => {
    const pem = '-----BEGIN KEY-----\nabc\n-----END KEY-----\n';
    assert.deepEqual(parseSecretsUpdate({ set: { K: pem, L: ' ${env:X} ' } }).set, { K: pem, L: ' ${env:X} ' });
  });

  it('rejects what is not an object of names to strings, naming the problem and no value', () => {
    rejects(undefined, /^expected \{"set"/);
    rejects('x', /^expected \{"set"/);
    rejects([], /^expected \{"set"/);
    rejects({ sett: { A: VALUE } }, /^unknown key "sett"/);
    rejects({ set: null }, /"set" must be an object/);
    rejects({ set: [VALUE] }, /"set" must be an object/);
    rejects({ delete: { A: true } }, /"delete" must be an array/);
    rejects({ delete: [1] }, /"delete" must be an array of names/);
    rejects({ set: { A: 1 } }, /^secret A: the value must be a string$/);
    rejects({ set: { A: '' } }, /^secret A: the value is empty/);
    rejects({ set: { A: `${VALUE}\u0000` } }, /^secret A: the value contains a NUL character/);
    rejects({ set: { A: VALUE }, delete: ['A'] }, /^secret A is both set and deleted$/);
  });

  it('rejects invalid names without echoing them (a value may have been put where a name goes)', () => {
    for (const name of [VALUE.replace(/-/g, ' '), `1${VALUE}`, `-${VALUE}`, `.${VALUE}`, '', `${VALUE}$`]) {
      rejects({ set: { [name]: 'x' } }, /^invalid secret name: a secret name is a letter or "_"/);
      rejects({ delete: [name] }, /^invalid secret name/);
    }
  });
});
