import { strict as assert } from 'node:assert';
import { MAX_JSON_DEPTH, parseBoundedJson, textDepthExceeds, valueDepthExceeds } from '../../../src/shared/jsonDepth';

const nested = (depth: number): string => `${'['.repeat(depth)}${']'.repeat(depth)}`;

describe('JSON nesting depth', () => {
  it('counts arrays and objects, not brackets inside strings or escaped quotes', () => {
    assert.equal(textDepthExceeds('{"a":[{"b":1}]}', 3), false);
    assert.equal(textDepthExceeds('{"a":[{"b":[1]}]}', 3), true);
    assert.equal(textDepthExceeds(`{"a":"${'['.repeat(10_000)}"}`, 2), false);
    assert.equal(textDepthExceeds('{"a":"\\"[[[[[["}', 1), false);
    assert.equal(textDepthExceeds(Buffer.from('{"ü":"[[[[","x":[[1]]}'), 3), false);
    assert.equal(textDepthExceeds(Buffer.from('{"ü":"[[[[","x":[[[1]]]}'), 3), true);
  });

  it('takes the limit itself and refuses one more', () => {
    assert.equal(textDepthExceeds(nested(MAX_JSON_DEPTH)), false);
    assert.equal(textDepthExceeds(nested(MAX_JSON_DEPTH + 1)), true);
    assert.doesNotThrow(() => parseBoundedJson(nested(MAX_JSON_DEPTH)));
    assert.throws(() => parseBoundedJson(nested(6000)), (e: Error & { code?: string }) => e.code === 'PARSE_ERROR' && /deeper than 512/.test(e.message));
    assert.throws(() => parseBoundedJson('{'), (e: Error & { code?: string }) => e.code === 'PARSE_ERROR');
  });

  it('measures parsed values without recursion (a 100,000-deep value is fine to measure)', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = { a: deep };
    assert.equal(valueDepthExceeds(deep), true);
    assert.equal(valueDepthExceeds({ a: [{ b: [1, { c: null }] }] }, 5), false);
    assert.equal(valueDepthExceeds({ a: [{ b: [1, { c: {} }] }] }, 5), true);
  });
});
