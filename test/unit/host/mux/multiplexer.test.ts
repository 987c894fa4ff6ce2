import { strict as assert } from 'node:assert';
import { SharedMcpError } from '../../../../src/shared/errors';
import type { JsonRpcMessage } from '../../../../src/host/backends/jsonRpc';
import { Multiplexer, type MuxOptions } from '../../../../src/host/mux/multiplexer';
import { FakeBackend, FakeSession, FakeSource, FakeTimers, memoryLog, settle } from '../../../helpers/fakeBackend';

interface Rig {
  mux: Multiplexer;
  backend: FakeBackend;
  source: FakeSource;
  timers: FakeTimers;
  log: ReturnType<typeof memoryLog>;
  options: { timeoutMs: number };
  open(name: string, capabilities?: Record<string, unknown>): Promise<FakeSession>;
}

/** A mux over a fake backend; requests of the host's own (lists, setLevel) are answered, client requests are not. */
async function rig(extra: Partial<MuxOptions> = {}): Promise<Rig> {
  const backend = new FakeBackend();
  backend.serve = (m) => hostRequestAnswers(backend, m);
  const source = new FakeSource(backend);
  const timers = new FakeTimers();
  const log = memoryLog();
  const options = { timeoutMs: 1000 };
  const mux = new Multiplexer(source, { name: 'fake', tools: () => ({}), roots: () => ['file:///r'], log, passthroughInit: false, requestTimeoutMs: () => options.timeoutMs, timers, ...extra });
  const open = async (name: string, capabilities: Record<string, unknown> = {}): Promise<FakeSession> => {
    const s = new FakeSession(name, capabilities);
    await mux.open(s);
    return s;
  };
  await settle();
  return { mux, backend, source, timers, log, options, open };
}

/** The server's side for what the host asks on its own behalf. */
function hostRequestAnswers(backend: FakeBackend, m: JsonRpcMessage): void {
  if (typeof m.id !== 'string' || !m.id.startsWith('shared-mcp-')) return;
  if (m.method === 'tools/list') return backend.answer(m, { tools: [{ name: 'echo' }] });
  if (m.method === 'resources/list' || m.method === 'prompts/list') return backend.answer(m, { [m.method.split('/')[0]]: [] });
  backend.answer(m, {});
}

const call = (id: string | number, name = 'echo', meta?: Record<string, unknown>): JsonRpcMessage => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {}, ...(meta ? { _meta: meta } : {}) } });
const calls = (b: FakeBackend): JsonRpcMessage[] => b.requests('tools/call');

describe('Multiplexer (in memory)', () => {
  it('renumbers colliding client ids (0 and strings included) and routes each answer back under its own id', async () => {
    const r = await rig();
    const [a, b] = [await r.open('a'), await r.open('b')];
    r.mux.handle(a, call(0));
    r.mux.handle(b, call(0));
    r.mux.handle(b, call('x'));
    const sent = calls(r.backend);
    assert.equal(new Set(sent.map((m) => m.id)).size, 3, 'three distinct backend ids');
    for (const m of sent) assert.equal(typeof m.id, 'number');
    r.backend.answer(sent[2], { content: 'third' });
    r.backend.answer(sent[0], { content: 'first' });
    r.backend.answer(sent[1], { content: 'second' });
    assert.deepEqual(a.response(0)?.result, { content: 'first' });
    assert.deepEqual(b.response(0)?.result, { content: 'second' });
    assert.deepEqual(b.response('x')?.result, { content: 'third' });
    assert.deepEqual([r.mux.stats(a), r.mux.stats(b)], [{ callsServed: 1, inFlight: 0 }, { callsServed: 2, inFlight: 0 }]);
  });

  it('rewrites progress tokens per request and routes progress to its caller only, on its request', async () => {
    const r = await rig();
    const [a, b] = [await r.open('a'), await r.open('b')];
    r.mux.handle(a, call(1, 'echo', { progressToken: 'tok' }));
    r.mux.handle(b, call(1, 'echo', { progressToken: 'tok' }));
    const [ca, cb] = calls(r.backend);
    assert.equal(ca.params?._meta?.progressToken, ca.id);
    assert.equal(cb.params?._meta?.progressToken, cb.id);
    r.backend.emit({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: ca.id, progress: 1 } });
    assert.deepEqual(a.notifications('notifications/progress').map((n) => [n.msg.params?.progressToken, n.related]), [['tok', 1]]);
    assert.equal(b.notifications('notifications/progress').length, 0);
  });

  it('cancels a client request at the backend under its backend id and drops the late answer', async () => {
    const r = await rig();
    const a = await r.open('a');
    r.mux.handle(a, call(7));
    const [sent] = calls(r.backend);
    r.mux.handle(a, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 7, reason: 'no' } });
    assert.deepEqual(r.backend.cancelled(), [sent.id]);
    assert.deepEqual(a.cancelledIds, [7]);
    assert.equal(r.mux.stats(a)?.inFlight, 0);
    r.backend.answer(sent, { late: true });
    assert.equal(a.response(7), undefined, 'the late answer is dropped');
  });

  it('passes a server’s cancellation of its own request to the session it was routed to', async () => {
    const r = await rig();
    const a = await r.open('a', { sampling: {} });
    r.mux.handle(a, call(1));
    r.backend.emit({ jsonrpc: '2.0', id: 'srv-1', method: 'sampling/createMessage', params: {} });
    const routed = a.received.find((x) => x.msg.method === 'sampling/createMessage');
    assert.ok(routed && typeof routed.msg.id === 'string' && routed.msg.id.startsWith('shared-mcp-s'));
    assert.equal(routed.related, 1, 'on the stream of the request that caused it');
    r.backend.emit({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'srv-1' } });
    assert.equal(a.notifications('notifications/cancelled')[0]?.msg.params?.requestId, routed.msg.id);
  });

  it('ref-counts subscriptions and sends updates only to subscribers', async () => {
    const r = await rig();
    const [a, b, c] = [await r.open('a'), await r.open('b'), await r.open('c')];
    const sub = (s: FakeSession, id: number, method = 'resources/subscribe'): void => r.mux.handle(s, { jsonrpc: '2.0', id, method, params: { uri: 'u' } });
    sub(a, 1);
    sub(b, 1);
    assert.equal(r.backend.requests('resources/subscribe').length, 1);
    r.backend.answer(r.backend.requests('resources/subscribe')[0]);
    assert.ok(a.response(1)?.result && b.response(1)?.result);
    r.backend.emit({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri: 'u' } });
    assert.deepEqual([a, b, c].map((s) => s.notifications('notifications/resources/updated').length), [1, 1, 0]);
    sub(a, 2, 'resources/unsubscribe');
    assert.equal(r.backend.requests('resources/unsubscribe').length, 0, 'b still holds it');
    sub(b, 2, 'resources/unsubscribe');
    assert.equal(r.backend.requests('resources/unsubscribe').length, 1);
  });

  it('keeps log levels per session: the backend runs at the most verbose, each session sees its own', async () => {
    const r = await rig();
    const [a, b] = [await r.open('a'), await r.open('b')];
    r.mux.handle(a, { jsonrpc: '2.0', id: 1, method: 'logging/setLevel', params: { level: 'debug' } });
    r.mux.handle(b, { jsonrpc: '2.0', id: 1, method: 'logging/setLevel', params: { level: 'error' } });
    assert.deepEqual(r.backend.requests('logging/setLevel').map((m) => m.params?.level), ['debug']);
    r.backend.emit({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'i' } });
    r.backend.emit({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'error', data: 'e' } });
    assert.deepEqual(a.notifications('notifications/message').map((n) => n.msg.params?.data), ['i', 'e']);
    assert.deepEqual(b.notifications('notifications/message').map((n) => n.msg.params?.data), ['e']);
  });

  it('answers ping itself', async () => {
    const r = await rig();
    const a = await r.open('a');
    r.mux.handle(a, { jsonrpc: '2.0', id: 'p', method: 'ping' });
    assert.deepEqual(a.response('p')?.result, {});
    assert.equal(r.backend.requests('ping').length, 0);
  });

  it('routes sampling to the one candidate, and refuses it with none or with two', async () => {
    const r = await rig();
    const [a, b] = [await r.open('a', { sampling: {} }), await r.open('b', { sampling: {} })];
    const sample = (id: string): void => r.backend.emit({ jsonrpc: '2.0', id, method: 'sampling/createMessage', params: {} });
    sample('none');
    assert.match(String(r.backend.received.find((m) => m.id === 'none')?.error?.message), /no connected client/);
    r.mux.handle(a, call(1));
    sample('one');
    const routed = a.received.find((x) => x.msg.method === 'sampling/createMessage');
    assert.ok(routed);
    r.mux.handle(a, { jsonrpc: '2.0', id: routed.msg.id as string, result: { text: 'from a' } });
    assert.deepEqual(r.backend.received.find((m) => m.id === 'one' && m.method === undefined)?.result, { text: 'from a' });
    r.mux.handle(b, call(1));
    sample('two');
    assert.match(String(r.backend.received.find((m) => m.id === 'two')?.error?.message), /2 clients could be asked.*per-session/);
  });

  it('fails in-flight requests at once when the backend dies; the session works on with the next backend', async () => {
    const r = await rig();
    const a = await r.open('a');
    r.mux.handle(a, call(1));
    r.backend.exit('killed');
    r.source.set(undefined);
    assert.match(String(a.response(1)?.error?.message), /"fake" stopped while handling tools\/call/);
    assert.equal(r.mux.stats(a)?.inFlight, 0);
    const next = new FakeBackend();
    r.source.set(next);
    r.mux.handle(a, call(2));
    next.answer(calls(next)[0], { ok: 1 });
    assert.deepEqual(a.response(2)?.result, { ok: 1 });
  });

  it('gives a request its deadline: progress starts it again; past it the caller gets TIMEOUT and the server a cancellation', async () => {
    const r = await rig();
    const a = await r.open('a');
    r.mux.handle(a, call(1, 'echo', { progressToken: 1 }));
    const [sent] = calls(r.backend);
    r.timers.advance(900);
    r.backend.emit({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: sent.id, progress: 1 } });
    r.timers.advance(900);
    assert.equal(a.response(1), undefined, 'progress started the clock again');
    r.timers.advance(100);
    const err = a.response(1)?.error;
    assert.equal(err?.code, new SharedMcpError('TIMEOUT', '').jsonRpcCode);
    assert.match(String(err?.message), /server "fake" did not answer tools\/call within 1s \(requestTimeout\)/);
    assert.deepEqual(err?.data, { server: 'fake', method: 'tools/call', timeoutMs: 1000 });
    assert.deepEqual(r.backend.cancelled(), [sent.id]);
    assert.equal(r.mux.stats(a)?.inFlight, 0);
    r.backend.answer(sent, { late: true });
    assert.equal(a.received.filter((x) => x.msg.id === 1).length, 1, 'the late answer is dropped');
  });

  it('reads requestTimeout for each request, so a reload needs no restart', async () => {
    const r = await rig();
    const a = await r.open('a');
    r.options.timeoutMs = 50;
    r.mux.handle(a, call(1));
    r.timers.advance(50);
    assert.match(String(a.response(1)?.error?.message), /within 50 ms/);
  });

  it('fails a request whose send throws for its caller alone, and leaks no count', async () => {
    const r = await rig();
    const [a, b] = [await r.open('a'), await r.open('b')];
    r.backend.failSend = (m) => (m.method === 'tools/call' && m.params?.name === 'huge' ? new SharedMcpError('PAYLOAD_TOO_LARGE', 'a message of 11 MB is over the server’s maxMessageSize (10 MB)') : undefined);
    r.mux.handle(a, call(1, 'huge'));
    r.mux.handle(b, call(1));
    const err = a.response(1)?.error;
    assert.equal(err?.code, new SharedMcpError('PAYLOAD_TOO_LARGE', '').jsonRpcCode);
    assert.match(String(err?.message), /over the server’s maxMessageSize/);
    assert.equal(r.mux.stats(a)?.inFlight, 0);
    assert.equal(r.mux.stats(b)?.inFlight, 1, 'the bystander’s request went');
    r.timers.advance(5000);
    assert.equal(r.timers.size, 0, 'no deadline left for the request that never went');
  });

  it('survives sends that throw for cancellations, routed answers and notifications', async () => {
    const r = await rig();
    const a = await r.open('a', { sampling: {} });
    r.mux.handle(a, call(1));
    r.backend.emit({ jsonrpc: '2.0', id: 'srv', method: 'sampling/createMessage', params: {} });
    const routed = a.received.find((x) => x.msg.method === 'sampling/createMessage');
    r.backend.failSend = (m) => (m.id === 'srv' && m.result ? new SharedMcpError('PAYLOAD_TOO_LARGE', 'too big') : m.method?.startsWith('notifications/') ? new SharedMcpError('SERVER_BUSY', 'busy') : undefined);
    r.mux.handle(a, { jsonrpc: '2.0', id: routed?.msg.id as string, result: { huge: true } });
    assert.match(String(r.backend.received.find((m) => m.id === 'srv')?.error?.message), /could not be passed on/, 'the server still gets an answer');
    r.mux.handle(a, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 1 } });
    r.mux.handle(a, { jsonrpc: '2.0', method: 'notifications/whatever' });
    assert.equal(r.mux.stats(a)?.inFlight, 0);
    assert.ok(r.log.lines.some((l) => /could not be sent/.test(l)));
  });

  it('keeps serving when a transport throws on one message, turning a lost answer into an error', async () => {
    const r = await rig();
    const a = await r.open('a');
    a.failDeliver = (m) => m.result?.deep === true;
    r.mux.handle(a, call(1));
    r.backend.answer(calls(r.backend)[0], { deep: true });
    assert.match(String(a.response(1)?.error?.message), /could not be passed on/);
    r.mux.handle(a, call(2));
    r.backend.answer(calls(r.backend)[1], { fine: true });
    assert.deepEqual(a.response(2)?.result, { fine: true });
  });

  it('waits for a backend that is starting, counts the request meanwhile, and answers at once when the server cannot start', async () => {
    const source = new FakeSource();
    const mux = new Multiplexer(source, { name: 'lazy', tools: () => ({}), roots: () => [], log: memoryLog(), passthroughInit: false, timers: new FakeTimers() });
    const b = new FakeBackend();
    const opening = mux.open(new FakeSession('a'));
    source.set(b);
    await opening;
    const a = new FakeSession('late');
    await mux.open(a);
    source.set(undefined);
    mux.handle(a, call(1));
    assert.equal(mux.stats(a)?.inFlight, 1, 'counted while it waits');
    const next = new FakeBackend();
    source.set(next);
    await settle();
    assert.equal(calls(next).length, 1, 'sent once the backend is up');
    source.set(undefined);
    source.unavailable = new SharedMcpError('SERVER_UNAVAILABLE', 'lazy failed: exited with code 1; see its log', { server: 'lazy', state: 'failed', lastError: 'exited with code 1' });
    mux.handle(a, call(2));
    await settle();
    assert.deepEqual(a.response(2)?.error?.data, { server: 'lazy', state: 'failed', lastError: 'exited with code 1' });
    assert.equal(mux.stats(a)?.inFlight, 0);
  });

  it('cancels what a closing session had in flight and fails the server’s requests to it', async () => {
    const r = await rig();
    const a = await r.open('a', { sampling: {} });
    r.mux.handle(a, call(1));
    r.backend.emit({ jsonrpc: '2.0', id: 'srv', method: 'sampling/createMessage', params: {} });
    r.mux.close(a);
    assert.deepEqual(r.backend.cancelled(), [calls(r.backend)[0].id]);
    assert.match(String(r.backend.received.find((m) => m.id === 'srv')?.error?.message), /session ended/);
    assert.equal(r.mux.stats(a), undefined);
  });

  it('cancels its own list request at the server past the host deadline', async () => {
    const backend = new FakeBackend();
    backend.serve = (m) => (m.method === 'tools/list' ? undefined : hostRequestAnswers(backend, m));
    const log = memoryLog();
    const mux = new Multiplexer(new FakeSource(backend), { name: 'slow', tools: () => ({}), roots: () => [], log, passthroughInit: false, requestTimeoutMs: () => 20 });
    const deadline = Date.now() + 5000;
    while (backend.cancelled().length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 5));
    const list = backend.requests('tools/list')[0];
    assert.deepEqual(backend.cancelled(), [list.id], 'cancelled under the host id the server saw');
    assert.equal(mux.tools(), null);
    mux.dispose();
  });
});
