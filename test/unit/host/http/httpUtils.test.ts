import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import { BearerToken } from '../../../../src/host/http/bearerToken';
import { SSE_MAX_BUFFERED_BYTES, checkLocalRequest, openSse, startSseResponse, type HeartbeatTimers } from '../../../../src/host/http/httpUtils';
import { SharedMcpError } from '../../../../src/shared/errors';

async function listen(handler: http.RequestListener): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** A raw client that reads the stream as text until `until` is in it. */
function readUntil(socket: net.Socket, until: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer): void => {
      text += d.toString();
      if (!until(text)) return;
      socket.off('data', onData);
      resolve(text);
    };
    socket.on('data', onData);
    socket.once('error', reject);
  });
}

describe('httpUtils', () => {
  it('disconnects an SSE reader that stops reading instead of buffering without end (regression)', async function () {
    this.timeout(20_000);
    let written = 0;
    let closedByServer!: () => void;
    const gaveUp = new Promise<void>((r) => (closedByServer = r));
    const STALL_MS = 300;
    const { server, port } = await listen((_req, res) => {
      const write = startSseResponse(res, {}, 60_000, undefined, STALL_MS);
      const frame = `data: ${'x'.repeat(1024 * 1024)}\n\n`;
      const pump = (): void => {
        if (res.destroyed) return closedByServer();
        write(frame);
        written += frame.length;
        if (written < 20 * SSE_MAX_BUFFERED_BYTES) setTimeout(pump, 10);
      };
      pump();
    });
    const socket = net.connect(port, '127.0.0.1');
    socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    socket.pause(); // a follower that never reads
    try {
      // The server's own signal that it gave up, not a poll: pump() resolves it when it finds the response destroyed.
      await gaveUp;
      assert.ok(written < 20 * SSE_MAX_BUFFERED_BYTES, `it stopped early (${written} bytes produced)`);
    } finally {
      socket.destroy();
      server.close();
    }
  });

  it('keeps a reader that reads, however large the answers written at once (regression: three 5 MB answers cut the stream)', async function () {
    this.timeout(20_000);
    const FRAME_BYTES = 5 * 1024 * 1024;
    const { server, port } = await listen((_req, res) => {
      const write = startSseResponse(res, {}, 60_000);
      for (let i = 0; i < 3; i++) write(`data: ${String(i).repeat(FRAME_BYTES)}\n\n`);
      res.end();
    });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/events`);
      const body = await res.text();
      assert.equal(body.split('data: ').length - 1, 3, 'all three answers arrived');
      assert.ok(body.length > 3 * FRAME_BYTES);
    } finally {
      server.close();
    }
  });

  it('sends a heartbeat comment on a quiet SSE stream', async () => {
    const { server, port } = await listen((_req, res) => void startSseResponse(res, {}, 20));
    const socket = net.connect(port, '127.0.0.1');
    try {
      socket.write(`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      const text = await readUntil(socket, (t) => t.split(': ping\n\n').length > 2);
      assert.match(text, /x-accel-buffering: no/i);
    } finally {
      socket.destroy();
      server.close();
    }
  });

  it("clears a stream's heartbeat timer when the stream closes, whichever side closes it", async () => {
    const started: NodeJS.Timeout[] = [];
    const cleared: NodeJS.Timeout[] = [];
    const timers: HeartbeatTimers = {
      setInterval: (fn, ms) => {
        const t = setInterval(fn, ms);
        started.push(t);
        return t;
      },
      clearInterval: (t) => {
        cleared.push(t);
        clearInterval(t);
      },
    };
    const responses: http.ServerResponse[] = [];
    const { server, port } = await listen((req, res) => {
      startSseResponse(res, {}, 60_000, timers);
      responses.push(res);
      if (req.url === '/ends') res.end();
    });
    try {
      const byClient = net.connect(port, '127.0.0.1');
      byClient.write(`GET /left HTTP/1.1\r\nHost: x\r\n\r\n`);
      await readUntil(byClient, (t) => t.includes('\r\n\r\n'));
      const closed = once(responses[0], 'close');
      byClient.destroy();
      await closed;
      const byServer = net.connect(port, '127.0.0.1');
      byServer.write(`GET /ends HTTP/1.1\r\nHost: x\r\n\r\n`);
      await readUntil(byServer, (t) => t.endsWith('0\r\n\r\n')); // the end of the chunked body
      if (!responses[1].closed) await once(responses[1], 'close');
      byServer.destroy();
      assert.equal(started.length, 2);
      assert.deepEqual(cleared, started);
    } finally {
      server.close();
    }
  });

  it('checks bearer tokens and loopback Host/Origin', () => {
    const req = (headers: http.IncomingHttpHeaders): http.IncomingMessage => ({ headers }) as http.IncomingMessage;
    const bearerMatches = (r: http.IncomingMessage, token: string): boolean => new BearerToken(token).matches(r.headers.authorization);
    assert.equal(bearerMatches(req({ authorization: 'Bearer abc' }), 'abc'), true);
    assert.equal(bearerMatches(req({ authorization: 'Bearer abd' }), 'abc'), false);
    assert.equal(bearerMatches(req({}), 'abc'), false);
    assert.doesNotThrow(() => checkLocalRequest(req({ host: 'localhost:19100' }), 19100));
    assert.throws(() => checkLocalRequest(req({ host: 'localhost:19101' }), 19100), (e: SharedMcpError) => e.code === 'FORBIDDEN');
    assert.throws(() => checkLocalRequest(req({ host: '127.0.0.1:19100', origin: 'https://evil.example' }), 19100), (e: SharedMcpError) => e.code === 'FORBIDDEN');
    assert.doesNotThrow(() => checkLocalRequest(req({ host: '[::1]:19100', origin: 'http://127.0.0.1:3000' }), 19100));
  });
});
