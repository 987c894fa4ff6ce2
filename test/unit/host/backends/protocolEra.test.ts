import { strict as assert } from 'node:assert';
import { modernOnlyError } from '../../../../src/host/backends/protocolEra';
import { RpcError } from '../../../../src/host/backends/rpcChannel';
import { SharedMcpError } from '../../../../src/shared/errors';

/** The code errors.ts maps UNSUPPORTED_PROTOCOL_VERSION to: the one definition both directions use. */
const CODE = new SharedMcpError('UNSUPPORTED_PROTOCOL_VERSION', '').jsonRpcCode;

describe('modernOnlyError (a server that speaks only a newer protocol era)', () => {
  it("recognises the spec's unsupported-version answer, as an error answer or inside an HTTP 400's text", () => {
    const answer = new RpcError({ code: CODE, message: 'Unsupported protocol version', data: { supported: ['2026-07-28'], requested: '2025-11-25' } });
    const http = new Error(`Error POSTing to endpoint: {"jsonrpc":"2.0","id":0,"error":{"code":${CODE},"message":"x","data":{"supported":["2026-07-28","2027-01-01"]}}}`);
    assert.equal(modernOnlyError(answer)?.message, 'this server speaks only protocol 2026-07-28; Shared MCP does not serve that era yet');
    assert.equal(modernOnlyError(http)?.message, 'this server speaks only protocol 2026-07-28, 2027-01-01; Shared MCP does not serve that era yet');
    assert.equal(modernOnlyError(answer)?.code, 'PROTOCOL_ERA_UNSUPPORTED');
  });

  it('leaves every other failure alone', () => {
    assert.equal(modernOnlyError(new RpcError({ code: -32601, message: 'Method not found' })), undefined);
    assert.equal(modernOnlyError(new Error('Error POSTing to endpoint: not json')), undefined);
    assert.equal(modernOnlyError('text'), undefined);
  });
});
