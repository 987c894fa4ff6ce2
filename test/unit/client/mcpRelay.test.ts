// McpRelay against a stand-in host on loopback (a real HTTP server): what the relay answers by itself, and what it
// passes on from the host's refusals.
import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpRelay } from '../../../src/client/mcpRelay';
import type { McpTarget } from '../../../src/client/streamableHttpClient';

interface Stand {
  target: McpTarget;
  bodies: string[];
  close(): Promise<void>;
}

/** Answers every POST with `status` and `body` (text is sent as it is), and records what it got. */
async function standInHost(status: number, body: unknown): Promise<Stand> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', () => {
      bodies.push(text);
      res.writeHead(status, { 'content-type': 'application/json' }).end(typeof body === 'string' ? body : JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    target: { url: new URL(`http://127.0.0.1:${port}/mcp/p`), token: 't'.repeat(32) },
    bodies,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

function relayTo(target: McpTarget | undefined): { relay: McpRelay; out: unknown[]; logs: string[]; located: () => number; next(): Promise<unknown> } {
  const out: unknown[] = [];
  const logs: string[] = [];
  let located = 0;
  let wake: (() => void) | undefined;
  const relay = new McpRelay({
    locate: async () => {
      located++;
      return target;
    },
    toClient: (m) => {
      out.push(m);
      wake?.();
    },
    log: (t) => logs.push(t),
  });
  const next = async (): Promise<unknown> => {
    const seen = out.length;
    while (out.length === seen) await new Promise<void>((resolve) => (wake = resolve));
    return out[seen];
  };
  return { relay, out, logs, located: () => located, next };
}

describe('McpRelay', () => {
  it('answers server/discover with -32601 by itself, without looking for a host', async () => {
    const r = relayTo(undefined);
    r.relay.accept(JSON.stringify({ jsonrpc: '2.0', id: 'probe', method: 'server/discover', params: { _meta: { 'io.modelcontextprotocol/protocolVersion': '2026-07-28' } } }));
    assert.deepEqual(r.out, [{ jsonrpc: '2.0', id: 'probe', error: { code: -32601, message: 'Method not found: server/discover (this server speaks the protocol versions that begin with initialize)' } }]);
    assert.equal(r.located(), 0);
    assert.deepEqual(r.logs, ['the client probed with server/discover (protocol 2026-07-28); answered "method not found", so it goes on with initialize']);
    await r.relay.close();
  });

  it('answers a line nested thousands deep with a parse error itself, sending nothing to the host', async () => {
    const r = relayTo(undefined);
    r.relay.accept(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":${'['.repeat(6000)}${']'.repeat(6000)}}`);
    const answer = r.out[0] as { id: unknown; error: { code: number; message: string } };
    assert.deepEqual([answer.id, answer.error.code], [null, -32700]);
    assert.match(answer.error.message, /^Parse error: a line from the client nests deeper than 512 levels/);
    assert.equal(r.located(), 0);
    await r.relay.close();
  });

  it('an answer from the host nested thousands deep is dropped (it would overflow JSON.stringify) and its request gets an error', async () => {
    const host = await standInHost(200, `{"jsonrpc":"2.0","id":3,"result":{"deep":${'['.repeat(6000)}${']'.repeat(6000)}}}`);
    try {
      const r = relayTo(host.target);
      r.relay.accept(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} }));
      const answer = (await r.next()) as { id: unknown; error?: { message: string } };
      assert.equal(answer.id, 3);
      assert.equal(answer.error?.message, "no usable answer to this request came from the Shared MCP host (see the bridge's log)");
      assert.ok(r.logs.some((l) => l.startsWith('dropped a message from the host (Parse error: JSON nested deeper than 512 levels)')), r.logs.join('\n'));
      await r.relay.close();
    } finally {
      await host.close();
    }
  });

  it('a request the client cancelled gets no answer from the relay either, when the host ends its answer without one', async () => {
    // The stand-in holds the request's answer until the cancellation arrives, then ends it with no response in it (as
    // the host does), only a notification: the relay hands that on and settles the answer in the same turn.
    const note = { jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'cancelled' } };
    let held: http.ServerResponse | undefined;
    const server = http.createServer((req, res) => {
      let text = '';
      req.on('data', (d: Buffer) => (text += d.toString()));
      req.on('end', () => {
        if (!text.includes('notifications/cancelled')) return void (held = res);
        res.writeHead(202).end();
        held?.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(note));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const r = relayTo({ url: new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp/p`), token: 't'.repeat(32) });
      r.relay.accept(JSON.stringify({ jsonrpc: '2.0', id: 'slow', method: 'tools/call', params: { name: 'wait' } }));
      r.relay.accept(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 'slow' } }));
      assert.deepEqual(await r.next(), note);
      assert.deepEqual(r.out, [note], 'no error for the cancelled request');
      await r.relay.close();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('a refusal whose error data is nested 20,000 deep is no refusal of the host\'s, and kills nothing (regression: an unhandled rejection ended the bridge)', async () => {
    const host = await standInHost(400, `{"jsonrpc":"2.0","id":4,"error":{"code":-32600,"message":"no","data":${'['.repeat(20_000)}${']'.repeat(20_000)}}}`);
    const unhandled: unknown[] = [];
    const onUnhandled = (err: unknown): void => void unhandled.push(err);
    process.on('unhandledRejection', onUnhandled);
    try {
      // As the bridge does: each message for the client is serialized onto stdout.
      const lines: string[] = [];
      let wake: () => void = () => undefined;
      const relay = new McpRelay({ locate: async () => host.target, toClient: (m) => (lines.push(JSON.stringify(m)), wake()), log: () => undefined });
      relay.accept(JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'tools/list', params: {} }));
      while (lines.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const answer = JSON.parse(lines[0]) as { id: unknown; error?: { message: string } };
      assert.equal(answer.id, 4);
      assert.ok(answer.error, 'the request gets an error');
      await relay.close();
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(unhandled, []);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await host.close();
    }
  });

  it('passes a refusal\'s error data on whole (a client acts on the supported versions it lists)', async () => {
    const error = { code: -32022, message: 'Unsupported protocol version', data: { supported: ['2025-11-25', '2025-06-18'], requested: '2026-07-28' } };
    const host = await standInHost(400, { jsonrpc: '2.0', id: 3, error });
    try {
      const r = relayTo(host.target);
      r.relay.accept(JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list', params: {} }));
      assert.deepEqual(await r.next(), { jsonrpc: '2.0', id: 3, error });
      assert.equal(host.bodies.length, 1);
      await r.relay.close();
    } finally {
      await host.close();
    }
  });
});
