import { strict as assert } from 'node:assert';
import { RpcError } from '../../../../src/host/backends/rpcChannel';
import { redactError } from '../../../../src/host/logs/redactError';
import { SharedMcpError } from '../../../../src/shared/errors';

const redact = (text: string): string => text.replaceAll('sk-error-0a1b2c3d', '[redacted]');

describe('redactError', () => {
  it('redacts the message and every string of the details, keeping the code', () => {
    const e = redactError(new SharedMcpError('NEEDS_AUTH', 'refused sk-error-0a1b2c3d', { scope: 'read sk-error-0a1b2c3d', status: 403, list: ['sk-error-0a1b2c3d', 1] }), redact);
    assert.ok(e instanceof SharedMcpError);
    assert.equal(e.code, 'NEEDS_AUTH');
    assert.equal(e.message, 'refused [redacted]');
    assert.deepEqual(e.details, { scope: 'read [redacted]', status: 403, list: ['[redacted]', 1] });
  });

  it('gives back the error itself when nothing changed (a caller may look at its class)', () => {
    const rpc = new RpcError({ code: -32603, message: 'nothing secret' });
    assert.equal(redactError(rpc, redact), rpc);
    const plain = new Error('plain');
    assert.equal(redactError(plain, redact), plain);
  });

  it('turns any other error that held a secret into a SharedMcpError with the redacted text', () => {
    const e = redactError(new RpcError({ code: -32603, message: 'the key sk-error-0a1b2c3d was refused' }), redact);
    assert.ok(e instanceof SharedMcpError);
    assert.equal(e.message, 'server answered with error -32603: the key [redacted] was refused');
    const raw = redactError(new Error('raw sk-error-0a1b2c3d'), redact) as SharedMcpError;
    assert.equal(raw.message, 'raw [redacted]');
  });

  it('leaves out details nested deeper than plain data is', () => {
    let deep: unknown = 'sk-error-0a1b2c3d';
    for (let i = 0; i < 20; i++) deep = { deep };
    const e = redactError(new SharedMcpError('INTERNAL', 'x', deep), redact) as SharedMcpError;
    assert.ok(!JSON.stringify(e.details).includes('sk-error'));
  });
});
