import { strict as assert } from 'node:assert';
import { assertRoom, encodeForServer } from '../../../../src/host/backends/outboundMessage';
import { SharedMcpError } from '../../../../src/shared/errors';

const limits = { maxMessageBytes: 100, maxQueuedBytes: 1000 };
const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof SharedMcpError ? err.code : 'not a SharedMcpError';
  }
};

describe('encodeForServer / assertRoom (Backend.send\'s contract)', () => {
  it('encodes a message with its size in bytes (UTF-8)', () => {
    const { text, bytes } = encodeForServer('s', { jsonrpc: '2.0', id: 1, method: 'é' }, limits);
    assert.equal(text, '{"jsonrpc":"2.0","id":1,"method":"é"}');
    assert.equal(bytes, text.length + 1);
  });

  it('PAYLOAD_TOO_LARGE over maxMessageSize (counted in bytes, not characters)', () => {
    assert.equal(code(() => encodeForServer('s', { jsonrpc: '2.0', id: 1, method: 'x'.repeat(60) }, limits)), undefined);
    assert.equal(code(() => encodeForServer('s', { jsonrpc: '2.0', id: 1, method: 'é'.repeat(60) }, limits)), 'PAYLOAD_TOO_LARGE');
  });

  it('PARSE_ERROR for what JSON cannot hold: a cycle, a BigInt, a value nested past the stack', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    assert.equal(code(() => encodeForServer('s', { jsonrpc: '2.0', id: 1, method: 'm', params: cycle }, limits)), 'PARSE_ERROR');
    assert.equal(code(() => encodeForServer('s', { jsonrpc: '2.0', id: 1, method: 'm', params: { n: 1n } as never }, limits)), 'PARSE_ERROR');
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    assert.equal(code(() => encodeForServer('s', { jsonrpc: '2.0', id: 1, method: 'm', params: { deep } as never }, { ...limits, maxMessageBytes: 1e9 })), 'PARSE_ERROR');
  });

  it('SERVER_BUSY past maxQueueSize; an empty queue takes any message', () => {
    assert.equal(code(() => assertRoom('s', 0, 5000, limits)), undefined);
    assert.equal(code(() => assertRoom('s', 900, 100, limits)), undefined);
    assert.equal(code(() => assertRoom('s', 901, 100, limits)), 'SERVER_BUSY');
  });
});
