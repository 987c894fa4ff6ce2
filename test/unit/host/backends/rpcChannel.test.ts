import { strict as assert } from 'node:assert';
import type { JsonRpcMessage } from '../../../../src/host/backends/jsonRpc';
import { RpcChannel } from '../../../../src/host/backends/rpcChannel';
import { SharedMcpError } from '../../../../src/shared/errors';

function channel(write: (m: JsonRpcMessage) => void | Promise<void> = () => undefined): { rpc: RpcChannel; sent: JsonRpcMessage[] } {
  const sent: JsonRpcMessage[] = [];
  const rpc = new RpcChannel((m) => (sent.push(m), write(m)));
  return { rpc, sent };
}
const cancellations = (sent: JsonRpcMessage[]): unknown[] => sent.filter((m) => m.method === 'notifications/cancelled').map((m) => m.params?.requestId);

describe('RpcChannel', () => {
  it('past its deadline rejects with TIMEOUT and cancels the request at the server under the id it saw; a late answer is dropped', async () => {
    const { rpc, sent } = channel();
    await assert.rejects(rpc.request('tools/list', {}, 10), (e: SharedMcpError) => e.code === 'TIMEOUT' && /no answer to tools\/list/.test(e.message));
    assert.deepEqual(cancellations(sent), [sent[0].id]);
    assert.equal(rpc.handleResponse({ jsonrpc: '2.0', id: sent[0].id as string, result: {} }), true, 'claimed, and dropped');
  });

  it('cancels at the server when the caller’s signal aborts', async () => {
    const { rpc, sent } = channel();
    const abort = new AbortController();
    const p = rpc.request('logging/setLevel', { level: 'debug' }, 60_000, abort.signal);
    abort.abort(new SharedMcpError('SERVER_UNAVAILABLE', 'the mux went away'));
    await assert.rejects(p, /the mux went away/);
    assert.deepEqual(cancellations(sent), [sent[0].id]);
    await assert.rejects(rpc.request('ping', {}, 1000, abort.signal), /the mux went away/, 'an aborted signal sends nothing');
    assert.equal(sent.length, 2);
  });

  it('never cancels initialize (MCP forbids it)', async () => {
    const { rpc, sent } = channel();
    await assert.rejects(rpc.request('initialize', {}, 10), /TIMEOUT|no answer/);
    assert.deepEqual(cancellations(sent), []);
  });

  it('rejects a request whose write throws or rejects, and survives a cancellation whose write throws', async () => {
    const { rpc } = channel(() => {
      throw new SharedMcpError('SERVER_BUSY', 'queue full');
    });
    await assert.rejects(rpc.request('tools/list', {}, 1000), /queue full/);
    // Passed on as it is: a remote backend reads its transport error's HTTP status (401 means needs-auth).
    const httpError = Object.assign(new Error('Error POSTing to endpoint'), { code: 401 });
    const rejecting = channel(() => Promise.reject(httpError));
    await assert.rejects(rejecting.rpc.request('initialize', {}, 1000), (e: unknown) => e === httpError);
    let n = 0;
    const second = channel(() => {
      if (n++ > 0) throw new Error('cannot send the cancellation');
    });
    await assert.rejects(second.rpc.request('tools/list', {}, 10), /no answer/);
  });

  it('resolves with the answer, claims only host ids, and fails everything once closed', async () => {
    const { rpc, sent } = channel();
    const p = rpc.request('tools/list', {}, 1000);
    assert.equal(rpc.handleResponse({ jsonrpc: '2.0', id: 7, result: {} }), false, 'a client request id is not ours');
    assert.equal(rpc.handleResponse({ jsonrpc: '2.0', id: 'shared-mcp-s1', result: {} }), false, 'a routed id is not ours');
    rpc.handleResponse({ jsonrpc: '2.0', id: sent[0].id as string, result: { tools: [] } });
    assert.deepEqual(await p, { tools: [] });
    const open = rpc.request('ping', {}, 1000);
    rpc.close(new SharedMcpError('SERVER_EXITED', 'gone'));
    await assert.rejects(open, /gone/);
    await assert.rejects(rpc.request('ping', {}, 1000), /gone/);
  });
});
