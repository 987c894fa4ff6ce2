import { strict as assert } from 'node:assert';
import { SharedMcpError, fromErrorBody, isErrnoException, toSharedMcpError, type ErrorCode } from '../../../src/shared/errors';

describe('SharedMcpError', () => {
  const expected: Array<[ErrorCode, number, number, number]> = [
    ['CONFIG_INVALID', 422, -32602, 1],
    ['UNKNOWN_SERVER', 404, -32601, 1],
    ['SERVER_DISABLED', 409, -32603, 1],
    ['SERVER_EXITED', 502, -32603, 1],
    ['COMMAND_NOT_FOUND', 502, -32603, 1],
    ['SECRET_MISSING', 503, -32603, 1],
    ['SERVER_BUSY', 503, -32603, 1],
    ['NEEDS_AUTH', 503, -32603, 1],
    ['UNSUPPORTED_PROTOCOL_VERSION', 400, -32022, 1],
    ['PROTOCOL_ERA_UNSUPPORTED', 502, -32603, 1],
    ['HOST_UNREACHABLE', 503, -32603, 1],
    ['HOST_START_FAILED', 503, -32603, 1],
    ['HOST_RUNNING', 409, -32603, 1],
    ['PORT_UNAVAILABLE', 503, -32603, 1],
    ['UNAUTHORIZED', 401, -32001, 1],
    ['FORBIDDEN', 403, -32001, 1],
    ['NOT_FOUND', 404, -32601, 1],
    ['BAD_REQUEST', 400, -32600, 1],
    ['INVALID_PARAMS', 400, -32602, 1],
    ['USAGE', 400, -32602, 2],
    ['TIMEOUT', 504, -32001, 1],
    ['INTERNAL', 500, -32603, 1],
  ];

  for (const [code, httpStatus, jsonRpcCode, exitCode] of expected) {
    it(`maps ${code} to HTTP ${httpStatus}, JSON-RPC ${jsonRpcCode}, exit ${exitCode}`, () => {
      const e = new SharedMcpError(code, 'm');
      assert.deepEqual([e.httpStatus, e.jsonRpcCode, e.exitCode], [httpStatus, jsonRpcCode, exitCode]);
    });
  }

  it('is an Error with its name, code, message and details', () => {
    const e = new SharedMcpError('TIMEOUT', 'too slow', { waited: 5 });
    assert.ok(e instanceof Error);
    assert.equal(e.name, 'SharedMcpError');
    assert.equal(e.code, 'TIMEOUT');
    assert.equal(e.message, 'too slow');
    assert.deepEqual(e.details, { waited: 5 });
    assert.match(String(e.stack), /too slow/);
  });

  it('serializes to the wire shape, omitting absent details', () => {
    assert.deepEqual(new SharedMcpError('NOT_FOUND', 'nope').toJSON(), { error: { code: 'NOT_FOUND', message: 'nope' } });
    assert.equal('details' in new SharedMcpError('NOT_FOUND', 'nope').toJSON().error, false);
    assert.deepEqual(new SharedMcpError('USAGE', 'bad', [1]).toJSON(), { error: { code: 'USAGE', message: 'bad', details: [1] } });
    assert.equal(JSON.stringify(new SharedMcpError('USAGE', 'bad')), '{"error":{"code":"USAGE","message":"bad"}}');
  });

  it('round-trips through JSON and fromErrorBody', () => {
    const original = new SharedMcpError('CONFIG_INVALID', 'f:1:2 x: y', { problems: [{ path: 'x', line: 1, column: 2, message: 'y' }] });
    const back = fromErrorBody(JSON.parse(JSON.stringify(original)));
    assert.ok(back instanceof SharedMcpError);
    assert.equal(back.code, original.code);
    assert.equal(back.message, original.message);
    assert.deepEqual(back.details, original.details);
    assert.equal(back.httpStatus, 422);
  });
});

describe('fromErrorBody', () => {
  it('returns undefined for things that are not error bodies', () => {
    const bodies: unknown[] = [
      undefined,
      null,
      'error',
      {},
      { error: 'x' },
      { error: { code: 'NOPE', message: 'm' } },
      { error: { code: 'USAGE' } },
      { error: { code: 42, message: 'm' } },
    ];
    for (const b of bodies) assert.equal(fromErrorBody(b), undefined, JSON.stringify(b));
  });
});

describe('toSharedMcpError', () => {
  it('keeps a SharedMcpError as it is', () => {
    const e = new SharedMcpError('USAGE', 'x');
    assert.equal(toSharedMcpError(e), e);
  });

  it('wraps a plain Error as INTERNAL with its message', () => {
    const e = toSharedMcpError(new TypeError('boom'));
    assert.ok(e instanceof SharedMcpError);
    assert.equal(e.code, 'INTERNAL');
    assert.equal(e.message, 'boom');
    assert.equal(e.httpStatus, 500);
  });

  it('wraps non-errors as INTERNAL with their string form', () => {
    assert.equal(toSharedMcpError('text').message, 'text');
    assert.equal(toSharedMcpError(42).code, 'INTERNAL');
    assert.equal(toSharedMcpError(undefined).message, 'undefined');
  });
});

describe('isErrnoException', () => {
  it('recognizes errors with a string code, optionally a given one', () => {
    const e = Object.assign(new Error('x'), { code: 'ENOENT' });
    assert.equal(isErrnoException(e), true);
    assert.equal(isErrnoException(e, 'ENOENT'), true);
    assert.equal(isErrnoException(e, 'EEXIST'), false);
    assert.equal(isErrnoException(new Error('x')), false);
    assert.equal(isErrnoException({ code: 'ENOENT' }), false);
  });

  it('rejects code names inherited from Object.prototype (regression)', () => {
    assert.equal(fromErrorBody({ error: { code: 'toString', message: 'm' } }), undefined);
    assert.equal(fromErrorBody({ error: { code: 'constructor', message: 'm' } }), undefined);
  });
});
