import { strict as assert } from 'node:assert';
import { once } from 'node:events';
import * as http from 'node:http';
import * as net from 'node:net';
import { BearerToken } from '../../../../src/host/http/bearerToken';
import { createDispatcher } from '../../../../src/host/http/dispatcher';
import { readJsonBody } from '../../../../src/host/http/httpUtils';
import { readMessages } from '../../../../src/host/http/mcpHttp';
import { compileRoutes, type Route } from '../../../../src/host/http/routeTable';
import { SharedMcpError } from '../../../../src/shared/errors';

type Reader = (req: http.IncomingMessage) => Promise<unknown>;

const READERS: Array<[string, Reader]> = [
  ['readMessages (MCP POST bodies)', (req) => readMessages(req, 1024 * 1024)],
  ['readJsonBody (control API bodies)', (req) => readJsonBody(req)],
];

/** A real listener: the host's dispatcher in front of one route whose handler reads the body with `read`. */
class Harness {
  readonly unexpected: unknown[] = [];
  /** What each read ended with: the body, or the error it threw. */
  readonly outcomes: unknown[] = [];
  private readonly done: Array<() => void> = [];
  private readonly started: Array<() => void> = [];
  private server!: http.Server;
  port = 0;

  async start(read: Reader, beforeRead: (req: http.IncomingMessage) => Promise<void> = () => Promise.resolve()): Promise<void> {
    const route: Route = {
      methods: ['POST'],
      path: '/upload',
      auth: 'none',
      needsReady: false,
      errors: 'api',
      handle: async ({ req, res }) => {
        this.started.shift()?.();
        await beforeRead(req);
        try {
          this.outcomes.push(await read(req));
        } catch (err) {
          this.outcomes.push(err);
          throw err;
        }
        res.end('ok');
      },
    };
    const dispatch = createDispatcher({
      routes: compileRoutes([route]),
      port: () => this.port,
      clientToken: new BearerToken('client-secret'),
      controlToken: new BearerToken('control-secret'),
      oauthStates: { has: () => false },
      ready: () => Promise.resolve(),
      onUnexpected: (err) => this.unexpected.push(err),
    });
    // The dispatcher's promise settles once the request has been handled, error answer included.
    this.server = http.createServer((req, res) => void dispatch(req, res).then(() => this.done.shift()?.()));
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Sends the headers of a 1000-byte JSON POST and part of its body, then resets the connection; resolves once the host handled it. */
  async abortedUpload(): Promise<void> {
    const handled = new Promise<void>((r) => this.done.push(r));
    const started = new Promise<void>((r) => this.started.push(r));
    const socket = net.connect(this.port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(`POST /upload HTTP/1.1\r\nHost: 127.0.0.1:${this.port}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"jsonrpc":"2.0","id":1,`);
    // The request reached its handler (which reads it) before the client goes away.
    await started;
    socket.resetAndDestroy();
    await handled;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

describe('a client that closes its request mid-upload', () => {
  for (const [name, read] of READERS) {
    describe(name, () => {
      let h: Harness;
      afterEach(() => h.close());

      it('is answered as the client\'s doing (BAD_REQUEST), never as a host failure with a stack (regression: "request failed: Error: aborted")', async () => {
        h = new Harness();
        await h.start(read);
        for (let i = 0; i < 5; i++) await h.abortedUpload();
        assert.deepEqual(h.unexpected, [], 'nothing reached onUnexpected');
        assert.equal(h.outcomes.length, 5);
        for (const e of h.outcomes) {
          assert.ok(e instanceof SharedMcpError, String(e));
          assert.equal(e.code, 'BAD_REQUEST');
          assert.equal(e.message, 'the client closed the request before its body was read');
        }
      });

      it('is answered at once when the client had gone before the body was read (regression: the read waited for ever)', async () => {
        h = new Harness();
        // The handler starts reading only after the connection is gone, as after the wait for the host's start-up.
        // (A 'close' listener only: with none for 'error', Node emits no error, as while the dispatcher waits.)
        await h.start(read, (req) => new Promise<void>((resolve) => (req.destroyed ? resolve() : req.once('close', () => resolve()))));
        await h.abortedUpload();
        assert.deepEqual(h.unexpected, []);
        assert.ok(h.outcomes[0] instanceof SharedMcpError && h.outcomes[0].code === 'BAD_REQUEST', String(h.outcomes[0]));
      });
    });
  }
});
