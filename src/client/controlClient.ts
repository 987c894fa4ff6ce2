import * as http from 'node:http';
import { SharedMcpError, fromErrorBody } from '../shared/errors';
import type { ClientTokenResult, HostEvent, HostStatus, LogLine, SecretsList, SecretsUpdate, SecretsUpdateResult, ServerActionResult, ServerToolsResult, SyncRequest, SyncResult } from '../shared/controlTypes';
import type { HostRegistry } from '../shared/registry';
import { parseSse } from './sseParser';

/** Server actions wait for servers to finish starting, which may include an npx download. */
export const ACTION_TIMEOUT_MS = 180_000;
export const QUERY_TIMEOUT_MS = 10_000;

/** A typed client of one host's control API. */
export class ControlClient {
  constructor(private readonly registry: HostRegistry) {}

  status(): Promise<HostStatus> {
    return this.request('GET', '/api/status');
  }

  start(names: string[] = []): Promise<ServerActionResult> {
    return this.request('POST', '/api/servers/start', { names }, ACTION_TIMEOUT_MS);
  }

  stop(names: string[] = []): Promise<ServerActionResult> {
    return this.request('POST', '/api/servers/stop', { names }, ACTION_TIMEOUT_MS);
  }

  restart(names: string[] = []): Promise<ServerActionResult> {
    return this.request('POST', '/api/servers/restart', { names }, ACTION_TIMEOUT_MS);
  }

  reload(): Promise<HostEvent> {
    return this.request('POST', '/api/reload', {}, ACTION_TIMEOUT_MS);
  }

  /** Writes every shared server into the clients' config files (see SyncRequest). */
  sync(request: SyncRequest = {}): Promise<SyncResult> {
    return this.request('POST', '/api/sync', request, ACTION_TIMEOUT_MS);
  }

  /** Takes the host's entries out of the clients' config files and pauses automatic syncs. */
  unsync(request: SyncRequest = {}): Promise<SyncResult> {
    return this.request('POST', '/api/unsync', request, ACTION_TIMEOUT_MS);
  }

  shutdown(): Promise<{ ok: true }> {
    return this.request('POST', '/api/shutdown', {});
  }

  /** The secrets the host knows of (names, whether set, which servers use them); never values. */
  secrets(): Promise<SecretsList> {
    return this.request('GET', '/api/secrets');
  }

  /** Sets and deletes secrets in the host's memory; servers waiting for them start, servers using changed ones restart. */
  setSecrets(update: SecretsUpdate): Promise<SecretsUpdateResult> {
    return this.request('POST', '/api/secrets', update);
  }

  /** The bearer token MCP clients send: the running host's own (never read from home/token, which may lag). */
  async clientToken(): Promise<string> {
    const { token } = await this.request<ClientTokenResult>('GET', '/api/client-token');
    if (typeof token !== 'string' || token === '') throw new SharedMcpError('HOST_UNREACHABLE', 'the host answered without a client token');
    return token;
  }

  tools(server: string): Promise<ServerToolsResult> {
    return this.request('GET', `/api/servers/${encodeURIComponent(server)}/tools`);
  }

  logs(server: string, tail: number): Promise<{ lines: LogLine[] }> {
    return this.request('GET', `/api/servers/${encodeURIComponent(server)}/logs?tail=${tail}`);
  }

  /** Streams a server's log (the last `tail` lines first) until the returned disposer is called or the host goes. */
  followLogs(server: string, tail: number, onLine: (l: LogLine) => void, onEnd: (err?: Error) => void): { dispose(): void } {
    return this.stream(`/api/servers/${encodeURIComponent(server)}/logs?tail=${tail}&follow=1`, onLine, onEnd);
  }

  /** Streams host events until disposed. */
  events(onEvent: (e: HostEvent) => void, onEnd: (err?: Error) => void): { dispose(): void } {
    return this.stream('/api/events', onEvent, onEnd);
  }

  private request<T>(method: string, path: string, body?: unknown, timeoutMs = QUERY_TIMEOUT_MS): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise<T>((resolve, reject) => {
      const req = http.request(
        {
          host: this.registry.address,
          port: this.registry.port,
          path,
          method,
          headers: { authorization: `Bearer ${this.registry.controlToken}`, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) },
          timeout: timeoutMs,
        },
        (res) => {
          void readJson(res).then((parsed) => {
            if (parsed === undefined) return reject(new SharedMcpError('HOST_UNREACHABLE', `the host answered ${path} with something that is not JSON (HTTP ${res.statusCode})`));
            if ((res.statusCode ?? 500) >= 400) return reject(fromErrorBody(parsed) ?? new SharedMcpError('INTERNAL', `HTTP ${res.statusCode} from ${path}`));
            resolve(parsed as T);
          });
        },
      );
      req.on('timeout', () => req.destroy(new SharedMcpError('TIMEOUT', `the host did not answer ${path} within ${timeoutMs / 1000}s`)));
      req.on('error', (err) => reject(err instanceof SharedMcpError ? err : new SharedMcpError('HOST_UNREACHABLE', `cannot reach the host on port ${this.registry.port}: ${err.message}`)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  private stream<T>(path: string, onData: (value: T) => void, onEnd: (err?: Error) => void): { dispose(): void } {
    let done = false;
    // Once, whichever way the stream ends: a host that exits or is killed cuts the response without an 'end'.
    const end = (err?: Error): void => {
      if (done) return;
      done = true;
      onEnd(err);
    };
    const req = http.get({ host: this.registry.address, port: this.registry.port, path, headers: { authorization: `Bearer ${this.registry.controlToken}`, accept: 'text/event-stream' } }, (res) => {
      if ((res.statusCode ?? 500) >= 400) {
        void readJson(res).then((body) => end(fromErrorBody(body) ?? new SharedMcpError('INTERNAL', `HTTP ${res.statusCode} from ${path}`)));
        return;
      }
      parseSse(res, (data) => !done && onData(JSON.parse(data) as T));
      res.on('end', () => end());
      res.on('close', () => end(res.complete ? undefined : new SharedMcpError('HOST_UNREACHABLE', 'the host closed the stream')));
      res.on('error', (err) => end(new SharedMcpError('HOST_UNREACHABLE', `lost the host: ${err.message}`)));
    });
    req.on('error', (err) => end(new SharedMcpError('HOST_UNREACHABLE', `lost the host: ${err.message}`)));
    return {
      dispose: () => {
        done = true;
        req.destroy();
      },
    };
  }
}

/** The whole response body parsed as JSON; undefined when it is not JSON. */
function readJson(res: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (text += d));
    res.on('end', () => {
      try {
        resolve(JSON.parse(text));
      } catch {
        resolve(undefined);
      }
    });
    res.on('error', () => resolve(undefined));
  });
}
