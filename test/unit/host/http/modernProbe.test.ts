import { strict as assert } from 'node:assert';
import { type JsonRpcMessage } from '../../../../src/host/backends/jsonRpc';
import { unsupportedProtocolVersion, unsupportedVersionOf } from '../../../../src/host/http/modernProbe';

const discover: JsonRpcMessage = { jsonrpc: '2.0', id: 'discover-1', method: 'server/discover', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } };
const list: JsonRpcMessage = { jsonrpc: '2.0', id: 3, method: 'tools/list' };

describe('a sessionless request of the 2026-07-28 era', () => {
  it('is recognized by its header, its _meta or server/discover; a legacy request is not', () => {
    assert.equal(unsupportedVersionOf('2026-07-28', [list]), '2026-07-28');
    assert.equal(unsupportedVersionOf(undefined, [discover]), '2026-07-28');
    assert.equal(unsupportedVersionOf(undefined, [{ ...discover, params: {} }]), '2026-07-28');
    assert.equal(unsupportedVersionOf('1900-01-01', [list]), '1900-01-01');
    assert.equal(unsupportedVersionOf(undefined, [{ ...list, params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2099-01-01' } } }]), '2099-01-01');
    assert.equal(unsupportedVersionOf('2025-11-25', [list]), undefined);
    assert.equal(unsupportedVersionOf(undefined, [list]), undefined);
    assert.equal(unsupportedVersionOf(undefined, [{ ...list, params: 'not an object' as unknown as Record<string, unknown> }]), undefined);
    assert.equal(unsupportedVersionOf('x'.repeat(10_000), [list])?.length, 64, 'what is echoed is bounded');
  });

  it("is answered as the spec's UnsupportedProtocolVersionError: 400, -32022, the request's id, data {supported, requested}", () => {
    const f = unsupportedProtocolVersion('2026-07-28', [discover]);
    assert.equal(f.error.httpStatus, 400);
    assert.equal(f.error.jsonRpcCode, -32022);
    assert.equal(f.answer.id, 'discover-1');
    assert.deepEqual(f.answer.data, { supported: ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'], requested: '2026-07-28' });
    assert.match(f.error.message, /^Unsupported protocol version: 2026-07-28 \(this server speaks 2025-11-25, /);
    assert.equal(unsupportedProtocolVersion('2026-07-28', [{ jsonrpc: '2.0', method: 'notifications/x' }]).answer.id, null);
  });
});
