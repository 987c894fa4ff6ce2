import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import { FALLBACK_FD_LIMIT, connectionCap, softFdLimit } from '../../../../src/host/http/connectionGuard';
import { createHttpServer, type ListenerOptions } from '../../../../src/host/http/httpServer';
import { startSseResponse } from '../../../../src/host/http/httpUtils';

const LIMITS = `Limit                     Soft Limit           Hard Limit           Units
Max cpu time              unlimited            unlimited            seconds
Max open files            512                  4096                 files
Max locked memory         8388608              8388608              bytes
`;

function options(extra: Partial<ListenerOptions> = {}): ListenerOptions {
  return { headersTimeoutMs: 10_000, requestTimeoutMs: 60_000, keepAliveTimeoutMs: 5_000, checkIntervalMs: 1_000, maxConnections: 8, log: () => undefined, ...extra };
}

async function start(o: ListenerOptions): Promise<{ server: http.Server; port: number; size(): number }> {
  const { server, guard } = createHttpServer(async (req, res) => {
    if (req.url === '/stream') {
      startSseResponse(res, {}, 20);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  }, o);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as net.AddressInfo).port, size: () => guard.size };
}

async function connect(port: number): Promise<net.Socket> {
  const s = net.connect(port, '127.0.0.1');
  await once(s, 'connect');
  // Reading, so that the server closing the socket is seen (a paused socket never reads the end).
  s.resume();
  return s;
}

function get(port: number, path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
  });
}

function closes(sockets: net.Socket[]): Promise<unknown> {
  return Promise.all(sockets.map((s) => (s.destroyed ? undefined : once(s, 'close'))));
}

describe('connections: a cap below the descriptor limit, idle sockets closed first', () => {
  it('reads the soft limit of open files, with a fallback; keeps half of what is left for servers', () => {
    assert.equal(softFdLimit(() => LIMITS), 512);
    assert.equal(softFdLimit(() => LIMITS.replace('512 ', 'unlimited ')), 8256);
    assert.equal(softFdLimit(() => 'nothing of use'), FALLBACK_FD_LIMIT);
    assert.equal(softFdLimit(() => { throw new Error('ENOENT'); }), FALLBACK_FD_LIMIT);
    assert.ok(softFdLimit() > 0, 'this machine’s limit is readable');
    assert.equal(connectionCap(512), 224);
    assert.equal(connectionCap(1024), 480);
    assert.equal(connectionCap(20), 16, 'never below the minimum');
    assert.equal(connectionCap(1_000_000), 4096, 'never above the maximum');
  });

  it('lets a new client in past a crowd of silent and half-sent connections (attack 6)', async () => {
    const { server, port, size } = await start(options({ maxConnections: 8 }));
    const crowd: net.Socket[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const s = await connect(port);
        if (i % 2 === 1) s.write(`GET / HTTP/1.1\r\nHost: x\r\n`); // half-sent headers
        crowd.push(s);
      }
      assert.equal(await get(port), 200, 'the newest connection got in');
      assert.ok(size() <= 8, `${size()} connections held`);
      // The oldest went first: the first dozen of the crowd were closed to make room.
      await closes(crowd.slice(0, 12));
    } finally {
      for (const s of crowd) s.destroy();
      server.closeAllConnections();
      server.close();
    }
  });

  it('never closes a connection that is serving a request (an SSE stream), and refuses new ones when every one is busy', async () => {
    const { server, port } = await start(options({ maxConnections: 3 }));
    const streams: net.Socket[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const s = await connect(port);
        s.write(`GET /stream HTTP/1.1\r\nHost: x\r\n\r\n`);
        await once(s, 'data'); // the stream is open: its socket is busy
        streams.push(s);
      }
      await assert.rejects(get(port), /socket hang up|ECONNRESET/);
      // Each stream still gets its heartbeats after the refusal.
      await Promise.all(streams.map((s) => once(s, 'data')));
      assert.ok(streams.every((s) => !s.destroyed));
      streams[0].destroy();
      await once(streams[0], 'close');
      // The slot is free once the server saw the stream end.
      let status = 0;
      while (status !== 200) status = await get(port).catch(() => 0);
    } finally {
      for (const s of streams) s.destroy();
      server.closeAllConnections();
      server.close();
    }
  });

  it('cuts a silent or half-sent request after the header and request timeouts, not an SSE stream that outlives both', async () => {
    const { server, port } = await start(options({ headersTimeoutMs: 150, requestTimeoutMs: 300, checkIntervalMs: 50, keepAliveTimeoutMs: 100, maxConnections: 100 }));
    try {
      const silent = await connect(port);
      const halfHeaders = await connect(port);
      halfHeaders.write('GET / HTTP/1.1\r\nHost: x\r\n');
      const halfBody = await connect(port);
      halfBody.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
      const stream = await connect(port);
      stream.write('GET /stream HTTP/1.1\r\nHost: x\r\n\r\n');
      await closes([silent, halfHeaders, halfBody]);
      // The stream's own heartbeats, 20 ms apart, long past the 300 ms request timeout: it is still open.
      const started = Date.now();
      let beats = 0;
      while (Date.now() - started < 600) {
        await once(stream, 'data');
        beats++;
      }
      assert.ok(!stream.destroyed && beats > 5, `${beats} heartbeats`);
      stream.destroy();
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
