import { strict as assert } from 'node:assert';
import { handleSafely, parseServerLine, topLevelIdAndMethod, tooDeepAction } from '../../../../src/host/backends/inboundMessage';
import { MAX_JSON_DEPTH } from '../../../../src/shared/jsonDepth';

const nest = (n: number): string => '['.repeat(n) + ']'.repeat(n);
const line = (text: string): Buffer => Buffer.from(text);

describe('parseServerLine', () => {
  it('parses a message, and calls anything else noise', () => {
    assert.deepEqual(parseServerLine(line('{"jsonrpc":"2.0","id":1,"result":{}}')), { kind: 'message', msg: { jsonrpc: '2.0', id: 1, result: {} } });
    for (const noise of ['hello', 'null', '42', '[1]', '"text"', '{"a":']) assert.equal(parseServerLine(line(noise)).kind, 'noise', noise);
  });

  it(`takes ${MAX_JSON_DEPTH} levels and refuses one more, without parsing it`, () => {
    const at = `{"jsonrpc":"2.0","id":1,"result":{"x":${nest(MAX_JSON_DEPTH - 2)}}}`;
    assert.equal(parseServerLine(line(at)).kind, 'message');
    const over = `{"jsonrpc":"2.0","id":1,"result":{"x":${nest(MAX_JSON_DEPTH - 1)}}}`;
    assert.deepEqual(parseServerLine(line(over)), { kind: 'too-deep', id: 1, hasMethod: false });
  });

  it('is not fooled by brackets inside strings, nor by many shallow brackets', () => {
    const inString = `{"jsonrpc":"2.0","id":1,"result":{"text":"${'['.repeat(5000)}"}}`;
    assert.equal(parseServerLine(line(inString)).kind, 'message');
    const wide = `{"jsonrpc":"2.0","id":1,"result":{"list":[${Array.from({ length: 3000 }, () => '{"a":[1]}').join(',')}]}}`;
    assert.equal(parseServerLine(line(wide)).kind, 'message');
  });
});

describe('topLevelIdAndMethod', () => {
  const deep = nest(6000);
  it('finds the id first, last, or in the middle; a string id; a method', () => {
    assert.deepEqual(topLevelIdAndMethod(line(`{"jsonrpc":"2.0","id":7,"result":${deep}}`)), { id: 7, hasMethod: false });
    assert.deepEqual(topLevelIdAndMethod(line(`{"result":${deep},"jsonrpc":"2.0","id":"a\\"b"}`)), { id: 'a"b', hasMethod: false });
    assert.deepEqual(topLevelIdAndMethod(line(`{"result":${deep}, "id" : -3 ,"jsonrpc":"2.0"}`)), { id: -3, hasMethod: false });
    assert.deepEqual(topLevelIdAndMethod(line(`{"jsonrpc":"2.0","method":"notifications/message","params":${deep}}`)), { id: undefined, hasMethod: true });
    assert.deepEqual(topLevelIdAndMethod(line(`{"jsonrpc":"2.0","id":"s1","method":"sampling/createMessage","params":${deep}}`)), { id: 's1', hasMethod: true });
  });

  it('ignores "id" and "method" keys below the top level, and ids that are not a number or string', () => {
    assert.deepEqual(topLevelIdAndMethod(line(`{"result":{"id":5,"method":"x","v":${deep}},"jsonrpc":"2.0"}`)), { id: undefined, hasMethod: false });
    assert.deepEqual(topLevelIdAndMethod(line(`{"jsonrpc":"2.0","id":null,"result":${deep}}`)), { id: undefined, hasMethod: false });
    assert.deepEqual(topLevelIdAndMethod(line(`{"jsonrpc":"2.0","id":{"a":1},"result":${deep}}`)), { id: undefined, hasMethod: false });
    assert.deepEqual(topLevelIdAndMethod(line(`{"note":"\\"id\\":9","result":${deep}}`)), { id: undefined, hasMethod: false });
  });
});

describe('tooDeepAction', () => {
  it('answers the caller of a response, refuses a request, drops a notification or an answer without an id', () => {
    const answer = tooDeepAction(4, false);
    assert.equal(answer.kind, 'answer');
    assert.deepEqual(answer.kind === 'answer' && answer.reply.id, 4);
    const refuse = tooDeepAction('s', true);
    assert.equal(refuse.kind === 'refuse' && refuse.reply.error?.code, -32600);
    assert.equal(tooDeepAction(undefined, true).kind, 'drop');
    assert.equal(tooDeepAction(undefined, false).kind, 'drop');
  });
});

describe('handleSafely (one definition for both backends)', () => {
  it('notes what a handler throws in the server log and throws nothing', () => {
    const lines: string[] = [];
    const log = { line: (_stream: string, text: string) => void lines.push(text) };
    assert.doesNotThrow(() => handleSafely(log, () => {
      throw new RangeError('Maximum call stack size exceeded');
    }));
    handleSafely(log, () => undefined);
    assert.deepEqual(lines, ['a message from the server could not be handled: Maximum call stack size exceeded']);
  });
});
