import { strict as assert } from 'node:assert';
import { MAX_CLIENT_INFO_CHARS, MAX_INITIALIZE_PARAMS_BYTES, checkInitializeParams } from '../../../../src/host/http/initializeParams';
import { SharedMcpError } from '../../../../src/shared/errors';

const GOOD = { protocolVersion: '2025-11-25', capabilities: { sampling: {}, elicitation: { form: {} } }, clientInfo: { name: 'claude-code', version: '2.1.328', title: 'Claude Code' } };

function nested(depth: number): unknown {
  let v: unknown = {};
  for (let i = 0; i < depth; i++) v = { v };
  return v;
}

function refused(params: unknown, message: RegExp): void {
  assert.throws(
    () => checkInitializeParams(params),
    (e: unknown) => e instanceof SharedMcpError && e.code === 'INVALID_PARAMS' && e.jsonRpcCode === -32602 && message.test(e.message),
  );
}

describe('initialize params: checked before anything stores them', () => {
  it('takes what real clients send, extra fields included; missing capabilities are {}', () => {
    assert.deepEqual(checkInitializeParams(GOOD), GOOD);
    assert.deepEqual(checkInitializeParams({ protocolVersion: '2024-11-05', clientInfo: { name: '', version: '0' } }).capabilities, {});
  });

  it('refuses a clientInfo nested 6,000 deep (regression: it wedged sessions.json and the shutdown)', () => {
    refused({ ...GOOD, clientInfo: { name: 'x', version: '1', extra: nested(6000) } }, /nested deeper than 32 levels/);
    refused({ ...GOOD, capabilities: { experimental: nested(6000) } }, /nested deeper than 32 levels/);
  });

  it('refuses params over the size bound, and long or multi-line names', () => {
    refused({ ...GOOD, capabilities: { experimental: { blob: 'x'.repeat(MAX_INITIALIZE_PARAMS_BYTES) } } }, /bytes, over 65536/);
    refused({ ...GOOD, clientInfo: { name: 'n'.repeat(MAX_CLIENT_INFO_CHARS + 1), version: '1' } }, /clientInfo.name must be a string of at most 256/);
    refused({ ...GOOD, clientInfo: { name: 'evil\n2026-01-01 host: forged line', version: '1' } }, /without control characters/);
  });

  it('refuses the wrong shapes with the field at fault', () => {
    refused(undefined, /params must be an object/);
    refused([GOOD], /params must be an object/);
    refused({ ...GOOD, protocolVersion: 20251125 }, /protocolVersion must be a string/);
    refused({ ...GOOD, protocolVersion: 'v'.repeat(65) }, /protocolVersion must be a string of 1 to 64/);
    refused({ ...GOOD, capabilities: [] }, /capabilities must be an object/);
    refused({ ...GOOD, clientInfo: 'me' }, /clientInfo must be an object/);
    refused({ ...GOOD, clientInfo: { name: 'me' } }, /clientInfo.version must be a string/);
  });
});
