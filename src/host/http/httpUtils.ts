import type { IncomingMessage, ServerResponse } from 'node:http';
import { SharedMcpError, toSharedMcpError } from '../../shared/errors';
import { parseBoundedJson } from '../../shared/jsonDepth';

/** Control API bodies are small; anything bigger is a mistake or an attack. */
export const MAX_CONTROL_BODY_BYTES = 1024 * 1024;
export const SSE_HEARTBEAT_MS = 15_000;
/**
 * A stream reader with more than this waiting that does not read it (no drain) for SSE_STALL_MS is disconnected
 * rather than buffered without end. Bytes alone cannot tell: one answer may be far larger (maxMessageSize, 32M), and a
 * reader that reads it just fine has it all waiting for a moment.
 */
export const SSE_MAX_BUFFERED_BYTES = 4 * 1024 * 1024;
export const SSE_STALL_MS = 15_000;
/** Past this much waiting a reader is disconnected at once, reading or not: the host's memory is not the client's buffer. */
export const SSE_HARD_MAX_BUFFERED_BYTES = 256 * 1024 * 1024;

/** DNS-rebinding guard: Host must be a loopback name with our port; Origin, when sent, a loopback origin. */
export function checkLocalRequest(req: IncomingMessage, port: number): void {
  const host = (req.headers.host ?? '').toLowerCase();
  const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`];
  if (!allowedHosts.includes(host)) throw new SharedMcpError('FORBIDDEN', `forbidden Host header: ${host || '(none)'}`);
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let ok = false;
    try {
      const u = new URL(origin);
      ok = ['127.0.0.1', 'localhost', '[::1]'].includes(u.hostname);
    } catch {
      ok = false;
    }
    if (!ok) throw new SharedMcpError('FORBIDDEN', `forbidden Origin: ${origin}`);
  }
}

/**
 * A client that went away while its body was still coming (a closed connection, a cancelled upload): the client's
 * doing, answered as such (nobody is there to read it) and never logged as a host failure.
 */
export function clientClosedRequest(): SharedMcpError {
  return new SharedMcpError('BAD_REQUEST', 'the client closed the request before its body was read');
}

/** A control API body: at most maxBytes, JSON no deeper than MAX_JSON_DEPTH; undefined when empty. */
/**
 * A request's whole body, at most maxBytes (PAYLOAD_TOO_LARGE past it, naming `cap`; the rest is drained so the
 * answer can be read). A client that goes away mid-upload is BAD_REQUEST, its own doing: never a host failure, and
 * never a wait for an end that will not come.
 */
export function readBody(req: IncomingMessage, maxBytes: number, cap = `${maxBytes} bytes`): Promise<Buffer> {
  const tooLarge = (bytes: number): SharedMcpError => new SharedMcpError('PAYLOAD_TOO_LARGE', `the request body is ${bytes} bytes, over the host's cap of ${cap}`);
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.reject(tooLarge(declared));
  // Gone while the request waited (for the host to be ready): its 'error' and 'close' were before anyone listened.
  if (req.destroyed && !req.readableEnded) return Promise.reject(clientClosedRequest());
  // Events, not an async iterator: this runs once per MCP call and the iterator costs more than the parse.
  return new Promise<Buffer>((resolve, reject) => {
    const got: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(tooLarge(size));
      } else got.push(chunk);
    });
    req.once('end', () => resolve(got.length === 1 ? got[0] : Buffer.concat(got)));
    req.once('error', () => reject(clientClosedRequest()));
    req.once('close', () => reject(clientClosedRequest()));
  });
}

/** A control API body: empty is undefined; else JSON with bounded depth, at most maxBytes. */
export async function readJsonBody(req: IncomingMessage, maxBytes = MAX_CONTROL_BODY_BYTES): Promise<unknown> {
  const body = await readBody(req, maxBytes);
  if (body.length === 0) return undefined;
  try {
    return parseBoundedJson(body);
  } catch (err) {
    throw new SharedMcpError('BAD_REQUEST', `request body is not valid JSON (${toSharedMcpError(err).message})`);
  }
}

/** A JSON object (not null, not an array). */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

/** The timer functions a heartbeat uses (a test can watch them). */
export interface HeartbeatTimers {
  setInterval(fn: () => void, ms: number): NodeJS.Timeout;
  clearInterval(timer: NodeJS.Timeout): void;
}

const REAL_TIMERS: HeartbeatTimers = { setInterval: (fn, ms) => setInterval(fn, ms), clearInterval: (t) => clearInterval(t) };

/** Opens a control-API event stream (one JSON value per event); onClose runs when the peer leaves. */
export function openSse(req: IncomingMessage, res: ServerResponse, onClose: () => void, heartbeatMs = SSE_HEARTBEAT_MS): (data: unknown) => void {
  const write = startSseResponse(res, {}, heartbeatMs);
  write(': connected\n\n');
  req.on('close', onClose);
  return (data) => {
    let text: string;
    try {
      text = JSON.stringify(data);
    } catch {
      return; // a value that cannot be written is dropped, never thrown into whoever fired the event
    }
    write(`data: ${text}\n\n`);
  };
}

/**
 * Starts an SSE response. Every heartbeatMs a comment goes out, so that clients with an idle-body timeout (Node's
 * fetch: 300 s) keep a quiet stream; the timer stops when the response closes. The writer sends one frame, and
 * disconnects a reader that stopped reading (see SSE_MAX_BUFFERED_BYTES).
 */
export function startSseResponse(res: ServerResponse, headers: Record<string, string> = {}, heartbeatMs = SSE_HEARTBEAT_MS, timers: HeartbeatTimers = REAL_TIMERS, stallMs = SSE_STALL_MS): (frame: string) => void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no', ...headers });
  res.flushHeaders();
  /** Since when more than SSE_MAX_BUFFERED_BYTES has been waiting without a drain. */
  let behindSince: number | undefined;
  res.on('drain', () => (behindSince = undefined));
  const write = (frame: string): void => {
    if (res.destroyed || res.writableEnded) return;
    const waiting = res.writableLength;
    if (waiting > SSE_MAX_BUFFERED_BYTES) {
      const now = Date.now();
      behindSince ??= now;
      if (waiting > SSE_HARD_MAX_BUFFERED_BYTES || now - behindSince > stallMs) {
        res.destroy();
        return;
      }
    }
    res.write(frame);
  };
  const heartbeat = timers.setInterval(() => write(': ping\n\n'), heartbeatMs);
  heartbeat.unref?.();
  res.once('close', () => timers.clearInterval(heartbeat));
  return write;
}
