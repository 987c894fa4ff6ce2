// A keep-alive HTTP/1.1 client written straight to a TCP socket, for the benchmark's lean lanes.
//
// Why not node:http: its client costs about as much CPU per request as the bridge being measured,
// and the benchmark's clients share the machine's cores with the bridges and servers. With 8
// clients, node:http's own CPU, not the bridge's, decided the calls/s (and the direct stdio lane's
// client pays nothing like it). This client does the minimum a correct HTTP/1.1 client must:
// one request at a time per connection, Content-Length or chunked bodies, reconnecting when the
// server closed an idle connection.
import * as net from 'node:net';

const CRLF2 = Buffer.from('\r\n\r\n');

export class RawHttpError extends Error {}

/** One connection; requests are queued and sent one after the other (no pipelining). */
export class RawHttpConnection {
  /**
   * @param {URL} url the server's origin (host and port are used)
   * @param {number} timeoutMs a request fails when the server sends nothing for this long
   */
  constructor(url, timeoutMs) {
    this.timeoutMs = timeoutMs;
    this.host = url.hostname;
    this.port = Number(url.port || 80);
    this.hostHeader = url.host;
    this.socket = null;
    this.queue = Promise.resolve();
  }

  /** Sends one request; resolves with { status, headers (lower-case names), body (utf8 string) }. */
  request(method, path, headers, body) {
    const run = () => this.exchange(method, path, headers, body, true);
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => {});
    return result;
  }

  /** Closes the connection; a later request opens a new one. */
  close() {
    this.socket?.destroy();
    this.socket = null;
  }

  async exchange(method, path, headers, body, mayRetry) {
    const fresh = !this.socket;
    if (fresh) await this.connect();
    const payload = body === undefined ? undefined : Buffer.from(body);
    let head = `${method} ${path} HTTP/1.1\r\nhost: ${this.hostHeader}\r\n`;
    for (const [name, value] of Object.entries(headers)) head += `${name}: ${value}\r\n`;
    if (payload) head += `content-length: ${payload.length}\r\n`;
    head += '\r\n';
    try {
      return await this.roundTrip(payload ? Buffer.concat([Buffer.from(head, 'latin1'), payload]) : Buffer.from(head, 'latin1'));
    } catch (e) {
      // The server may close an idle keep-alive connection just as we reuse it: one retry on a new one.
      if (mayRetry && !fresh && e.beforeResponse) {
        this.close();
        return this.exchange(method, path, headers, body, false);
      }
      throw e;
    }
  }

  connect() {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.port, this.host);
      socket.setNoDelay(true);
      socket.once('connect', () => {
        socket.off('error', reject);
        this.socket = socket;
        // A server closing the idle connection is no error: the next request reconnects.
        socket.on('error', () => {});
        // One inactivity timer per socket (cheaper than a timer per request); it only matters while a request waits.
        socket.setTimeout(this.timeoutMs, () => socket.emit('request-timeout'));
        socket.on('close', () => {
          if (this.socket === socket) this.socket = null;
        });
        resolve();
      });
      socket.once('error', (e) => reject(new RawHttpError(`connect to ${this.host}:${this.port}: ${e.message}`)));
    });
  }

  roundTrip(data) {
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      let buf = Buffer.alloc(0);
      let got = false;
      const done = (err, res) => {
        socket.off('data', onData);
        socket.off('close', onClose);
        socket.off('request-timeout', onTimeout);
        if (err) reject(err);
        else resolve(res);
      };
      const onData = (chunk) => {
        got = true;
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        let res;
        try {
          res = parseResponse(buf);
        } catch (e) {
          socket.destroy();
          return done(e);
        }
        if (!res) return;
        if (res.rest > 0) {
          socket.destroy();
          return done(new RawHttpError('the server sent bytes after the response'));
        }
        if (res.close) socket.end();
        done(null, res);
      };
      const onClose = () => {
        const e = new RawHttpError('the connection closed before the response was complete');
        e.beforeResponse = !got;
        done(e);
      };
      const onTimeout = () => {
        socket.destroy();
        done(new RawHttpError(`no answer within ${this.timeoutMs / 1000} s`));
      };
      socket.on('data', onData);
      socket.on('close', onClose);
      socket.on('request-timeout', onTimeout);
      socket.write(data);
    });
  }
}

/** A complete response at the start of buf, or undefined while bytes are missing; throws on a malformed one. */
function parseResponse(buf) {
  const headEnd = buf.indexOf(CRLF2);
  if (headEnd < 0) return undefined;
  const lines = buf.toString('latin1', 0, headEnd).split('\r\n');
  const status = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0]);
  if (!status) throw new RawHttpError(`not an HTTP response: ${lines[0].slice(0, 80)}`);
  const headers = {};
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const start = headEnd + 4;
  const close = /(^|,)\s*close\s*(,|$)/i.test(headers.connection ?? '');
  const code = Number(status[1]);
  let body;
  let end;
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) {
    const parts = [];
    let pos = start;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', pos);
      if (lineEnd < 0) return undefined;
      const size = parseInt(buf.toString('latin1', pos, lineEnd), 16);
      if (Number.isNaN(size)) throw new RawHttpError('malformed chunk size');
      if (size === 0) {
        // No trailers from the servers we measure: the last chunk is "0\r\n\r\n".
        if (buf.length < lineEnd + 4) return undefined;
        end = lineEnd + 4;
        break;
      }
      if (buf.length < lineEnd + 2 + size + 2) return undefined;
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      pos = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts).toString('utf8');
  } else if (headers['content-length'] !== undefined) {
    const length = Number(headers['content-length']);
    if (buf.length < start + length) return undefined;
    end = start + length;
    body = buf.toString('utf8', start, end);
  } else if (code === 204 || code === 304) {
    end = start;
    body = '';
  } else {
    throw new RawHttpError(`HTTP ${code} without Content-Length or chunked body: this client cannot delimit it`);
  }
  return { status: code, headers, body, close, rest: buf.length - end };
}
