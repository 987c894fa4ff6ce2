import { strict as assert } from 'node:assert';
import { UnsentBodies } from '../../../../src/host/backends/unsentBodies';

const text = (id: number, size = 1000): string => JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { text: 'x'.repeat(size) } });

describe('UnsentBodies (what a remote has not been sent yet)', () => {
  it('counts a message until the fetch has read its whole body, not until the answer', async () => {
    const unsent = new UnsentBodies();
    const body = text(1, 100_000);
    const sent = unsent.add(body, Buffer.byteLength(body));
    assert.equal(unsent.bytes, Buffer.byteLength(body));
    const init = unsent.observe({ method: 'POST', body, headers: { 'content-type': 'application/json' } }) as RequestInit & { duplex?: string };
    assert.equal(new Headers(init.headers).get('content-length'), String(Buffer.byteLength(body)), 'the same Content-Length as the text');
    assert.equal(new Headers(init.headers).get('content-type'), 'application/json');
    assert.equal(init.duplex, 'half');
    const reader = (init.body as ReadableStream<Uint8Array>).getReader();
    const chunk = await reader.read();
    assert.equal(Buffer.from(chunk.value as Uint8Array).toString('utf8'), body, 'the same bytes');
    assert.equal(unsent.bytes, Buffer.byteLength(body), 'taken, not yet written: still counted');
    assert.equal((await reader.read()).done, true);
    assert.equal(unsent.bytes, 0, 'the fetch asked for more: all of it was written');
    sent();
    assert.equal(unsent.bytes, 0, 'released once');
  });

  it('counts a message that never became a body until its send settles', () => {
    const unsent = new UnsentBodies();
    const body = text(2);
    const sent = unsent.add(body, body.length);
    assert.equal(unsent.observe({ method: 'GET' })?.body, undefined, 'a request without a body is left as it is');
    assert.equal(unsent.observe({ method: 'POST', body: text(3) })?.body, text(3), 'a body that is none of ours is left as it is');
    assert.equal(unsent.bytes, body.length);
    sent();
    assert.equal(unsent.bytes, 0);
  });

  it('a cancelled body is released; two equal messages are each counted and each released', async () => {
    const unsent = new UnsentBodies();
    const body = text(4);
    unsent.add(body, body.length);
    unsent.add(body, body.length);
    assert.equal(unsent.bytes, 2 * body.length);
    const first = unsent.observe({ method: 'POST', body })?.body as ReadableStream<Uint8Array>;
    const second = unsent.observe({ method: 'POST', body })?.body as ReadableStream<Uint8Array>;
    assert.ok(first instanceof ReadableStream && second instanceof ReadableStream);
    await first.cancel();
    assert.equal(unsent.bytes, body.length);
    const reader = second.getReader();
    while (!(await reader.read()).done);
    assert.equal(unsent.bytes, 0);
  });
});
