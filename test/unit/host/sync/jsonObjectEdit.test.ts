import { strict as assert } from 'node:assert';
import { parse } from 'jsonc-parser';
import { detectLayout, objectKeySource, removeObjectKey, renderJson, setObjectKey } from '../../../../src/host/sync/jsonObjectEdit';

const entry = { type: 'http', url: 'http://127.0.0.1:19100/mcp/memory', headers: { Authorization: 'Bearer t' } };

/** Sets then removes `memory` in the object that is the whole text, checking the middle state parses as expected. */
function roundTrip(text: string, baseIndent = '', layout = detectLayout(text)): string {
  const out = setObjectKey(text, baseIndent, layout, 'memory', { value: entry });
  const parsed = parse(out, [], { allowTrailingComma: true }) as Record<string, unknown>;
  assert.deepEqual(parsed.memory, entry, `set did not give the entry:\n${out}`);
  const back = removeObjectKey(out, 'memory');
  assert.equal(back, text, `set then remove is not byte-identical; middle:\n${out}`);
  return out;
}

describe('JSON object edits: the smallest text change, in the file style', () => {
  it('appends a key after the last one in two-space style and removes it exactly', () => {
    const out = roundTrip('{\n  "a": 1,\n  "b": {\n    "c": true\n  }\n}');
    assert.equal(out, `{\n  "a": 1,\n  "b": {\n    "c": true\n  },\n  "memory": ${renderJson(entry, '  ', detectLayout(out))}\n}`);
  });

  it('keeps tabs, CRLF, and a comment at the end of the last line with its own entry', () => {
    const text = '{\r\n\t"a": 1 // about a\r\n}';
    const out = roundTrip(text);
    assert.ok(out.startsWith('{\r\n\t"a": 1, // about a\r\n\t"memory": {\r\n\t\t"type"'), out);
    assert.ok(!/[^\r]\n/.test(out), 'only CRLF');
  });

  it('turns {} into a block and back', () => {
    assert.equal(roundTrip('{}'), `{\n  "memory": ${renderJson(entry, '  ', { eol: '\n', unit: '  ' })}\n}`);
  });

  it('writes under an object that holds only comments, keeping them', () => {
    const out = roundTrip('{\n    // nothing yet\n  }', '  ', { eol: '\n', unit: '  ' });
    assert.ok(out.includes('// nothing yet'));
  });

  it('keeps a trailing-comma style (JSONC)', () => {
    const out = roundTrip('{\n  "a": 1,\n}');
    assert.match(out, /"memory": \{[\s\S]*\},\n\}$/);
  });

  it('keeps a one-line object on one line', () => {
    const out = roundTrip('{ "a": 1 }');
    assert.equal(out, `{ "a": 1, "memory": ${JSON.stringify(entry, null, 2).split('\n').join('\n  ')} }`);
  });

  it('indents nested values at the depth of the object', () => {
    const text = '{\n      "x": 1\n    }';
    const out = roundTrip(text, '    ', { eol: '\n', unit: '  ' }); // the layout comes from the whole file
    assert.ok(out.includes('\n      "memory": {\n        "type": "http"'), out);
  });

  it('replaces an existing value in place and can put back its original text verbatim', () => {
    const text = '{\n  "memory": { "command": "npx", /* mine */ "args": ["m"] },\n  "z": 2\n}';
    const original = objectKeySource(text, 'memory') as string;
    assert.equal(original, '{ "command": "npx", /* mine */ "args": ["m"] }');
    const replaced = setObjectKey(text, '', detectLayout(text), 'memory', { value: entry });
    assert.deepEqual((parse(replaced) as Record<string, unknown>).memory, entry);
    assert.ok(replaced.endsWith('},\n  "z": 2\n}'));
    assert.equal(setObjectKey(replaced, '', detectLayout(text), 'memory', { text: original }), text);
  });

  it('removes a key in the middle with its line, and a first key on a one-line object', () => {
    assert.equal(removeObjectKey('{\n  "a": 1,\n  "memory": {\n    "x": 1\n  }, // ours\n  "b": 2\n}', 'memory'), '{\n  "a": 1,\n  "b": 2\n}');
    assert.equal(removeObjectKey('{ "memory": 1, "b": 2 }', 'memory'), '{ "b": 2 }');
    assert.equal(removeObjectKey('{ "a": 1 }', 'zzz'), '{ "a": 1 }');
  });

  it('several keys in a row come and go in any order', () => {
    const text = '{\n  "keep": true\n}\n'.trimEnd();
    const layout = detectLayout(text);
    let out = text;
    for (const k of ['s1', 's2', 's3']) out = setObjectKey(out, '', layout, k, { value: { url: k } });
    assert.deepEqual(parse(out), { keep: true, s1: { url: 's1' }, s2: { url: 's2' }, s3: { url: 's3' } });
    for (const k of ['s2', 's3', 's1']) out = removeObjectKey(out, k);
    assert.equal(out, text);
  });
});
