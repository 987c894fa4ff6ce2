import { strict as assert } from 'node:assert';
import { CollectedAnswers, serializeForClient } from '../../../../src/host/http/clientAnswers';
import type { JsonRpcMessage } from '../../../../src/host/backends/jsonRpc';

function nested(depth: number): unknown {
  let v: unknown = 'bottom';
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

const answer = (id: number, text: string): JsonRpcMessage => ({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text }] } });

describe('answers to clients: never a throw, never a string over the cap', () => {
  it('writes a message as it is when it fits', () => {
    assert.equal(serializeForClient(answer(1, 'hi'), 1024), JSON.stringify(answer(1, 'hi')));
  });

  it('answers a request whose answer cannot be stringified (nested 100,000 deep) with an error, and drops such a notification', () => {
    const deep: JsonRpcMessage = { jsonrpc: '2.0', id: 'a', result: { v: nested(100_000) as Record<string, unknown> } };
    const text = serializeForClient(deep, 1 << 20);
    const parsed = JSON.parse(String(text)) as { id: string; error: { code: number; message: string } };
    assert.equal(parsed.id, 'a');
    assert.equal(parsed.error.code, -32603);
    assert.match(parsed.error.message, /could not be passed on/);
    assert.equal(serializeForClient({ jsonrpc: '2.0', method: 'notifications/message', params: { data: nested(100_000) as Record<string, unknown> } }, 1 << 20), undefined);
  });

  it('answers an answer over the cap with an error that says so (multi-byte text counted in bytes)', () => {
    const text = serializeForClient(answer(2, 'é'.repeat(600)), 1000);
    assert.match(JSON.parse(String(text)).error.message, /the answer is \d+ bytes, over the host's cap of 1000/);
    assert.equal(serializeForClient(answer(2, 'e'.repeat(600)), 1000), JSON.stringify(answer(2, 'e'.repeat(600))));
  });

  it("keeps a batch's combined answer under the cap: the answers that do not fit become short errors", () => {
    const ids = [...Array(100).keys()];
    const collected = new CollectedAnswers(40_000, ids);
    assert.ok(collected.fits);
    for (const i of ids) collected.add(answer(i, 'x'.repeat(500)));
    const body = collected.body(true);
    assert.ok(Buffer.byteLength(body) <= 40_000, `the whole body is ${Buffer.byteLength(body)} bytes`);
    const parsed = JSON.parse(body) as Array<{ id: number; result?: unknown; error?: { message: string } }>;
    assert.equal(parsed.length, 100, 'one answer per request');
    assert.deepEqual(parsed.map((m) => m.id), [...Array(100).keys()]);
    const kept = parsed.filter((m) => m.result);
    assert.ok(kept.length > 10 && kept.length < 60, `${kept.length} answers kept`);
    assert.match(String(parsed[99].error?.message), /over the host's cap of 40000 bytes.*send fewer requests at once/);
  });

  it('holds room for the errors of the requests still to come, ids of any length included; knows when even those do not fit', () => {
    const longIds = ['i'.repeat(3000), 'j'.repeat(3000)];
    const collected = new CollectedAnswers(7_000, longIds);
    assert.ok(collected.fits);
    collected.add({ ...answer(0, 'x'.repeat(800)), id: longIds[0] });
    collected.add({ ...answer(0, 'x'.repeat(800)), id: longIds[1] });
    const body = collected.body(true);
    assert.ok(Buffer.byteLength(body) <= 7_000, `${Buffer.byteLength(body)} bytes`);
    assert.deepEqual((JSON.parse(body) as Array<{ id: string }>).map((m) => m.id), longIds);
    assert.equal(new CollectedAnswers(1000, [...Array(10).keys()]).fits, false, 'ten errors of ~200 bytes are over 1000');
  });

  it('gives the one answer of a single request, and hands collected texts over to a stream', () => {
    const one = new CollectedAnswers(1000, [7]);
    one.add(answer(7, 'x'));
    assert.equal(one.body(false), JSON.stringify(answer(7, 'x')));
    assert.deepEqual(one.drain(), [JSON.stringify(answer(7, 'x'))]);
    assert.equal(one.count, 0);
  });
});
