import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ControlClient } from '../../../src/client/controlClient';
import type { HostEvent } from '../../../src/shared/controlTypes';
import type { HostRegistry } from '../../../src/shared/registry';

interface Seen {
  method: string;
  url: string;
  auth: string | undefined;
  body: string;
}

/** A stand-in host: records each request and answers with what the test gives it. */
async function fakeHost(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<{ client: ControlClient; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, body });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const registry: HostRegistry = { pid: process.pid, port: (server.address() as AddressInfo).port, address: '127.0.0.1', controlToken: 'ctl', version: '0', home: '/nowhere', startedAt: '' };
  return {
    client: new ControlClient(registry),
    seen,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

function sse(res: http.ServerResponse, frames: string[]): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const f of frames) res.write(f);
}

describe('ControlClient', () => {
  it('sends each call as the shared route table says: method, path, control token, body', async () => {
    const host = await fakeHost((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'));
    try {
      await host.client.start(['a', 'b']);
      await host.client.logs('my server', 7);
      await host.client.reload();
      await host.client.status();
      assert.deepEqual(host.seen, [
        { method: 'POST', url: '/api/servers/start', auth: 'Bearer ctl', body: '{"names":["a","b"]}' },
        { method: 'GET', url: '/api/servers/my%20server/logs?tail=7', auth: 'Bearer ctl', body: '' },
        { method: 'POST', url: '/api/reload', auth: 'Bearer ctl', body: '{}' },
        { method: 'GET', url: '/api/status', auth: 'Bearer ctl', body: '' },
      ]);
    } finally {
      await host.close();
    }
  });

  it('turns an error body back into its SharedMcpError', async () => {
    const host = await fakeHost((_req, res) => res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"UNKNOWN_SERVER","message":"unknown server: x"}}'));
    try {
      await assert.rejects(host.client.tools('x'), (e: Error & { code?: string }) => e.code === 'UNKNOWN_SERVER' && e.message === 'unknown server: x');
    } finally {
      await host.close();
    }
  });

  it('ends a stream with an error when an event is not JSON, instead of throwing out of the listener (regression)', async () => {
    const good: HostEvent = { type: 'host-stopping', at: 'now' };
    const host = await fakeHost((_req, res) => sse(res, [': connected\n\n', `data: ${JSON.stringify(good)}\n\n`, 'data: {not json\n\n', `data: ${JSON.stringify(good)}\n\n`]));
    const uncaught: unknown[] = [];
    const onUncaught = (err: unknown): void => void uncaught.push(err);
    process.prependListener('uncaughtException', onUncaught);
    try {
      const events: HostEvent[] = [];
      const ended = await new Promise<Error | undefined>((resolve) => host.client.events((e) => events.push(e), resolve));
      assert.deepEqual(events, [good], 'the events before the bad one arrived; nothing after it');
      assert.match(String(ended?.message), /the host sent an event on \/api\/events that is not JSON/);
      assert.deepEqual(uncaught, []);
    } finally {
      process.removeListener('uncaughtException', onUncaught);
      await host.close();
    }
  });

  it('ends a stream with an error when its listener throws', async () => {
    const host = await fakeHost((_req, res) => sse(res, ['data: {"text":"one"}\n\n']));
    try {
      const ended = await new Promise<Error | undefined>((resolve) => {
        host.client.followLogs('s', 10, () => {
          throw new Error('listener bug');
        }, resolve);
      });
      assert.match(String(ended?.message), /listener of \/api\/servers\/s\/logs failed: listener bug/);
      assert.equal(host.seen[0].url, '/api/servers/s/logs?tail=10&follow=1');
    } finally {
      await host.close();
    }
  });
});
