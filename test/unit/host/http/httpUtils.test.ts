import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import * as net from 'node:net';
import { BearerToken } from '../../../../src/host/http/bearerToken';
import { SSE_MAX_BUFFERED_BYTES, checkLocalRequest, openSse } from '../../../../src/host/http/httpUtils';
import { SharedMcpError } from '../../../../src/shared/errors';

describe('httpUtils', () => {
  it('disconnects an SSE reader that stops reading instead of buffering without end (regression)', async function () {
    this.timeout(20_000);
    let closedByServer = false;
    let written = 0;
    const server = http.createServer((req, res) => {
      const send = openSse(req, res, () => undefined);
      const chunk = { text: 'x'.repeat(16 * 1024) };
      const pump = (): void => {
        if (res.destroyed) {
          closedByServer = true;
          return;
        }
        for (let i = 0; i < 64; i++) send(chunk);
        written += 64 * 16 * 1024;
        if (written < 20 * SSE_MAX_BUFFERED_BYTES) setImmediate(pump);
      };
      pump();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as net.AddressInfo;
    const socket = net.connect(port, '127.0.0.1');
    socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    socket.pause(); // a follower that never reads
    const deadline = Date.now() + 15_000;
    while (!closedByServer && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    socket.destroy();
    server.close();
    assert.ok(closedByServer, 'the server gave up on the stalled stream');
    assert.ok(written < 20 * SSE_MAX_BUFFERED_BYTES, `it stopped early (${written} bytes produced)`);
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
