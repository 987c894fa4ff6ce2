import { strict as assert } from 'node:assert';
import { alive, TestHome, fixture } from '../../../helpers/hostHarness';
import { clientToken } from '../../../helpers/mcpClients';
import { INIT, mcpPost, raw, type RawAnswer } from './rawHttp';

/** A small seeded generator, so a failure names a case that can be run again. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Case {
  name: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

const deepText = (depth: number, open = '[', close = ']'): string => `${open.repeat(depth)}${close.repeat(depth)}`;

/** Bodies no client should send: broken JSON, wrong shapes, deep nesting, odd ids, mixed batches. */
function bodies(rand: () => number): string[] {
  const garbage = (n: number): string => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256))).toString('latin1');
  const ids: unknown[] = [0, -1, 1.5, 2 ** 60, 'x'.repeat(100_000), '', true, null, {}, [], { a: 1 }];
  const out = [
    '',
    ' ',
    'null',
    '42',
    '"text"',
    '[]',
    '[1,2,3]',
    '{',
    '{"jsonrpc":"2.0","id":1,"method":"tools/list"',
    '{"jsonrpc":"1.0","id":1,"method":"tools/list"}',
    '{"jsonrpc":"2.0","id":1,"method":7}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":"str"}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/list","params":[1]}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":{"x":1}}}',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":null}',
    '{"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":{"deep":true}}}',
    '{"jsonrpc":"2.0","id":1,"method":"resources/subscribe","params":{"uri":{"not":"a string"}}}',
    '{"jsonrpc":"2.0","id":1,"result":{}}',
    '{"jsonrpc":"2.0","id":"srv-1","error":{"code":"x","message":5}}',
    '{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{"x":1}}}',
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}',
    '[{"jsonrpc":"2.0","id":1,"method":"tools/list"},{"jsonrpc":"2.0","id":1,"method":"tools/list"}]',
    '[{"jsonrpc":"2.0","id":1,"method":"tools/list"},42]',
    JSON.stringify(Array.from({ length: 1000 }, () => ({ jsonrpc: '2.0', method: 'notifications/initialized' }))),
    `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":${deepText(511)}}}}`,
    `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":${deepText(513)}}}}`,
    `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":${deepText(10_000)}}}}`,
    deepText(100_000),
    deepText(100_000, '{"a":', '}').replace(/\}+$/, '') + '}'.repeat(100_000),
    `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"progressToken":${deepText(600)}}}}`,
    '"\\ud800"',
    '{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"\\u0000\\ud800"}}}',
  ];
  for (const id of ids) out.push(JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: 'echo', arguments: { text: 'x' } } }));
  for (let i = 0; i < 40; i++) out.push(garbage(1 + Math.floor(rand() * 2000)));
  // Valid JSON with one character changed.
  const base = JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'echo', arguments: { text: 'mutated' } } });
  for (let i = 0; i < 60; i++) {
    const at = Math.floor(rand() * base.length);
    out.push(base.slice(0, at) + String.fromCharCode(32 + Math.floor(rand() * 95)) + base.slice(at + 1));
  }
  return out;
}

function cases(token: string, session: string, rand: () => number): Case[] {
  const auth = { authorization: `Bearer ${token}` };
  const json = { ...auth, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const out: Case[] = [];
  for (const body of bodies(rand)) {
    out.push({ name: `session POST ${body.slice(0, 40)}`, method: 'POST', path: '/mcp/echo', headers: { ...json, 'mcp-session-id': session }, body });
    out.push({ name: `sessionless POST ${body.slice(0, 40)}`, method: 'POST', path: '/mcp/echo', headers: json, body });
    out.push({ name: `aggregate POST ${body.slice(0, 40)}`, method: 'POST', path: '/mcp', headers: { ...json, 'mcp-protocol-version': '2026-07-28' }, body });
    out.push({ name: `control POST ${body.slice(0, 40)}`, method: 'POST', path: '/api/sync', headers: { authorization: 'Bearer wrong', 'content-type': 'application/json' }, body });
  }
  const paths = ['/mcp/%', '/mcp/%E0%A4%A', '/mcp/..%2F..%2Fetc', `/mcp/${'a'.repeat(6000)}`, '/mcp/echo/extra', '//mcp', '/mcp/echo?x=%ZZ&sessionId=%', '/messages/echo', '/messages/echo?sessionId=nope', '/sse/nope', '/api/servers/%E0/logs', '/api/servers/echo/logs?tail=-1', '/api/servers/echo/logs?tail=1e9', '/api/nope', '/health/x', '/'];
  for (const path of paths) for (const method of ['GET', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH']) out.push({ name: `${method} ${path.slice(0, 60)}`, method, path, headers: json, body: method === 'GET' ? undefined : '{}' });
  const headerSets: Array<Record<string, string>> = [
    { ...json, 'content-type': 'text/plain' },
    { ...json, accept: 'text/html' },
    { ...json, 'mcp-session-id': 'x'.repeat(8000) },
    { ...json, 'mcp-session-id': session, 'mcp-protocol-version': 'y'.repeat(4000) },
    { ...json, 'content-length': '99999999999' },
    { ...json, authorization: `Bearer ${token}${token}` },
    { ...json, authorization: 'Basic Zm9vOmJhcg==' },
    { ...json, host: 'evil.example' },
    { ...json, origin: 'null' },
    { ...json, origin: 'http://localhost.evil.example' },
  ];
  for (const headers of headerSets) out.push({ name: `headers ${JSON.stringify(headers).slice(0, 80)}`, method: 'POST', path: '/mcp/echo', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
  return out;
}

describe('bad input on the HTTP front: an answer below 500 each time (a 4xx for what is wrong), no crash, no hang, nothing left in flight (real host)', function () {
  let t: TestHome;
  before(async () => {
    t = await TestHome.started({ echo: fixture('protocolServer.js') });
  });
  after(() => t.dispose());

  it('answers every case of a seeded set within 10 s, none of them with a 5xx, and keeps serving', async function () {
    this.timeout(300_000);
    const host = (await t.registry())?.pid as number;
    const token = await clientToken(t);
    const init = await mcpPost(t, '/mcp/echo', INIT);
    const session = String(init.session);
    const all = cases(token, session, random(11));
    const statuses = new Map<number, number>();
    for (const c of all) {
      let a: RawAnswer;
      try {
        a = await raw(t, c.method, c.path, c.headers, c.body, 10_000);
      } catch (err) {
        // Refusing a request outright (a closed connection) is an answer too; a hang is not.
        assert.doesNotMatch(String(err), /no answer within/, `${c.name}: hung`);
        statuses.set(0, (statuses.get(0) ?? 0) + 1);
        continue;
      }
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
      assert.ok(a.status < 500, `${c.name}: HTTP ${a.status} ${a.body.slice(0, 200)}`);
    }
    assert.ok(alive(host), 'the host lives');
    const call = await mcpPost(t, '/mcp/echo', { jsonrpc: '2.0', id: 'after', method: 'tools/call', params: { name: 'echo', arguments: { text: 'fine' } } }, { 'mcp-session-id': session });
    assert.equal(JSON.parse(call.body).result.content[0].text, 'fine');
    const st = await t.server('echo');
    assert.equal(st.state, 'running');
    assert.equal(st.restarts, 0, `the server never died: ${require('node:fs').readFileSync(require('node:path').join(t.home, 'logs', 'echo.log'), 'utf8').slice(-1500)}`);
    assert.deepEqual(st.sessions.map((s) => s.inFlight).filter((n) => n > 0), [], 'nothing left in flight');
    console.log(`      ${all.length} cases: ${[...statuses].sort((a, b) => a[0] - b[0]).map(([s, n]) => `${s === 0 ? 'closed' : s}×${n}`).join(', ')}`);
  });
});
