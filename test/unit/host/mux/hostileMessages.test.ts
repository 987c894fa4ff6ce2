import { strict as assert } from 'node:assert';
import type { JsonRpcMessage } from '../../../../src/host/backends/jsonRpc';
import { AggregateEndpoint } from '../../../../src/host/mux/aggregateEndpoint';
import { Multiplexer } from '../../../../src/host/mux/multiplexer';
import { FakeBackend, FakeSession, FakeSource, FakeTimers, memoryLog, settle } from '../../../helpers/fakeBackend';

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let x = seed;
  return () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
}

function deep(levels: number): Record<string, unknown> {
  let v: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) v = { d: v };
  return v;
}

/** Values of every JSON shape (and a few a parser never makes), for ids, params and results. */
const ODD = [null, 0, -1, 1.5, '', 'x', [], [1, 'a'], {}, { cursor: 7 }, true, deep(6000), { _meta: null }, { _meta: { progressToken: {} } }, { name: { toString: 1 } }, { uri: ['u'] }];
const METHODS = ['tools/call', 'tools/list', 'resources/subscribe', 'resources/unsubscribe', 'logging/setLevel', 'ping', 'initialize', 'tasks/get', 'prompts/get', 'completion/complete', 'notifications/cancelled', 'notifications/progress', 'notifications/message', 'notifications/resources/updated', 'sampling/createMessage', 'roots/list', 'x/y'];

function hostile(pick: () => number): JsonRpcMessage {
  const any = (): unknown => ODD[Math.floor(pick() * ODD.length)];
  const m: Record<string, unknown> = { jsonrpc: '2.0' };
  const r = pick();
  if (r < 0.75) m.method = METHODS[Math.floor(pick() * METHODS.length)];
  if (r < 0.5 || r >= 0.75) m.id = pick() < 0.5 ? Math.floor(pick() * 50) : any();
  if (pick() < 0.8) m.params = any();
  if (r >= 0.75) m[pick() < 0.5 ? 'result' : 'error'] = any();
  return m as unknown as JsonRpcMessage;
}

describe('hostile messages through the mux and the aggregate', () => {
  it('2,000 messages of every shape from clients and from the server: nothing throws, every request gets at most one answer, nothing stays counted', async () => {
    const pick = random(42);
    const timers = new FakeTimers();
    const backend = new FakeBackend();
    const log = memoryLog();
    const mux = new Multiplexer(new FakeSource(backend), { name: 'x', tools: () => ({}), roots: () => ['file:///r'], log, passthroughInit: false, timers, requestTimeoutMs: () => 1000 });
    const agg = new AggregateEndpoint(() => [{ name: 'x', state: 'running', endpoint: mux }], { timers, log: (l) => void log.lines.push(l) });
    const sessions = [new FakeSession('a', { sampling: {} }), new FakeSession('b')];
    // A transport that serializes, as the real ones do: a message too deep for JSON.stringify throws in deliver.
    for (const s of sessions) s.failDeliver = (m) => (JSON.stringify(m), false);
    for (const s of sessions) await mux.open(s);
    const aggSession = new FakeSession('agg');
    aggSession.failDeliver = (m) => (JSON.stringify(m), false);
    await agg.open(aggSession);
    for (let i = 0; i < 2000; i++) {
      const target = pick();
      const msg = hostile(pick);
      // A client's requests get ids of their own, so each can be checked for one answer at most.
      if (target < 0.6 && msg.method !== undefined && msg.id !== undefined && msg.id !== null) msg.id = pick() < 0.5 ? i : `r${i}`;
      if (target < 0.4) assert.doesNotThrow(() => mux.handle(sessions[i % 2], msg));
      else if (target < 0.6) assert.doesNotThrow(() => agg.handle(aggSession, msg));
      else assert.doesNotThrow(() => backend.emit(msg));
      if (i % 100 === 0) await settle();
    }
    // Whatever is still waiting ends at its deadline (aggregate list parts included).
    for (let i = 0; i < 5; i++) {
      await settle();
      timers.advance(60_000);
    }
    await settle();
    for (const s of [...sessions, aggSession]) {
      const answers = new Map<unknown, number>();
      for (const { msg } of s.received) if (msg.method === undefined) answers.set(msg.id, (answers.get(msg.id) ?? 0) + 1);
      assert.equal(agg.stats(s)?.inFlight ?? mux.stats(s)?.inFlight, 0, `${s.record.id}: nothing left in flight`);
      for (const [id, n] of answers) assert.ok(n === 1 || typeof id !== 'string' || !id.startsWith('r'), `${String(id)} answered ${n} times`);
      for (const [id, n] of answers) if (typeof id === 'number' && id >= 0) assert.equal(n, 1, `${id} answered ${n} times`);
    }
    assert.equal(timers.size, 0, 'no deadline left running');
  });
});
