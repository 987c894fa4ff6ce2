import * as http from 'node:http';
import { SharedMcpError, fromErrorBody, toSharedMcpError } from '../shared/errors';
import {
  CONTROL_ROUTES,
  controlUrl,
  type ControlRoutes,
  type EventOf,
  type JsonRouteName,
  type PathParams,
  type QueryParams,
  type ResponseOf,
  type RouteInput,
  type StreamRouteName,
} from '../shared/controlRoutes';
import type { HostEvent, HostStatus, LogLine, SecretsList, SecretsUpdate, SecretsUpdateResult, ServerActionResult, ServerToolsResult, SyncRequest, SyncResult } from '../shared/controlTypes';
import type { HostRegistry } from '../shared/registry';
import { parseSse } from './sseParser';

/** Server actions wait for servers to finish starting, which may include an npx download. */
export const ACTION_TIMEOUT_MS = 180_000;
export const QUERY_TIMEOUT_MS = 10_000;

/** The arguments of one call: none when the route needs none. */
type CallArgs<R> = object extends RouteInput<R> ? [input?: RouteInput<R>] : [input: RouteInput<R>];

/** A typed client of one host's control API, built from the shared route table (src/shared/controlRoutes.ts). */
export class ControlClient {
  constructor(private readonly registry: HostRegistry) {}

  /** One JSON route of the table: its body, parameters and answer are those the table gives it. */
  call<K extends JsonRouteName>(name: K, ...[input]: CallArgs<ControlRoutes[K]>): Promise<ResponseOf<ControlRoutes[K]>> {
    const route = CONTROL_ROUTES[name];
    const i = (input ?? {}) as { body?: unknown; params?: PathParams; query?: QueryParams };
    const path = controlUrl(route, i.params, i.query);
    // A POST always carries a JSON object, {} when the route takes no body.
    const body = route.method === 'POST' ? (i.body ?? {}) : undefined;
    return this.request(route.method, path, body, route.timeout === 'action' ? ACTION_TIMEOUT_MS : QUERY_TIMEOUT_MS);
  }

  /** One stream route of the table: each event as the table types it, until disposed or the host goes. */
  stream<K extends StreamRouteName>(
    name: K,
    input: RouteInput<ControlRoutes[K]>,
    onEvent: (event: EventOf<ControlRoutes[K]>) => void,
    onEnd: (err?: Error) => void,
  ): { dispose(): void } {
    const route = CONTROL_ROUTES[name];
    const i = input as { params?: PathParams; query?: QueryParams };
    return this.openStream(controlUrl(route, i.params, i.query), onEvent as (value: unknown) => void, onEnd);
  }

  status(): Promise<HostStatus> {
    return this.call('status');
  }

  start(names: string[] = []): Promise<ServerActionResult> {
    return this.call('startServers', { body: { names } });
  }

  stop(names: string[] = []): Promise<ServerActionResult> {
    return this.call('stopServers', { body: { names } });
  }

  restart(names: string[] = []): Promise<ServerActionResult> {
    return this.call('restartServers', { body: { names } });
  }

  reload(): Promise<HostEvent> {
    return this.call('reload');
  }

  /** Writes every shared server into the clients' config files (see SyncRequest). */
  sync(request: SyncRequest = {}): Promise<SyncResult> {
    return this.call('sync', { body: request });
  }

  /** Takes the host's entries out of the clients' config files and pauses automatic syncs. */
  unsync(request: SyncRequest = {}): Promise<SyncResult> {
    return this.call('unsync', { body: request });
  }

  shutdown(): Promise<{ ok: true }> {
    return this.call('shutdown');
  }

  /** The secrets the host knows of (names, whether set, which servers use them); never values. */
  secrets(): Promise<SecretsList> {
    return this.call('secrets');
  }

  /** Sets and deletes secrets in the host's memory; servers waiting for them start, servers using changed ones restart. */
  setSecrets(update: SecretsUpdate): Promise<SecretsUpdateResult> {
    return this.call('setSecrets', { body: update });
  }

  /** The bearer token MCP clients send: the running host's own (never read from home/token, which may lag). */
  async clientToken(): Promise<string> {
    const { token } = await this.call('clientToken');
    if (typeof token !== 'string' || token === '') throw new SharedMcpError('HOST_UNREACHABLE', 'the host answered without a client token');
    return token;
  }

  tools(server: string): Promise<ServerToolsResult> {
    return this.call('serverTools', { params: { server } });
  }

  logs(server: string, tail: number): Promise<{ lines: LogLine[] }> {
    return this.call('serverLogs', { params: { server }, query: { tail } });
  }

  /** Streams a server's log (the last `tail` lines first) until the returned disposer is called or the host goes. */
  followLogs(server: string, tail: number, onLine: (l: LogLine) => void, onEnd: (err?: Error) => void): { dispose(): void } {
    return this.stream('followServerLogs', { params: { server }, query: { tail } }, onLine, onEnd);
  }

  /** Streams host events until disposed. */
  events(onEvent: (e: HostEvent) => void, onEnd: (err?: Error) => void): { dispose(): void } {
    return this.stream('events', {}, onEvent, onEnd);
  }

  private request<T>(method: string, path: string, body: unknown, timeoutMs: number): Promise<T> {
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
          readJson(res)
            .then((parsed) => {
              if (parsed === undefined) return reject(new SharedMcpError('HOST_UNREACHABLE', `the host answered ${path} with something that is not JSON (HTTP ${res.statusCode})`));
              if ((res.statusCode ?? 500) >= 400) return reject(fromErrorBody(parsed) ?? new SharedMcpError('INTERNAL', `HTTP ${res.statusCode} from ${path}`));
              resolve(parsed as T);
            })
            .catch(reject);
        },
      );
      req.on('timeout', () => req.destroy(new SharedMcpError('TIMEOUT', `the host did not answer ${path} within ${timeoutMs / 1000}s`)));
      req.on('error', (err) => reject(err instanceof SharedMcpError ? err : new SharedMcpError('HOST_UNREACHABLE', `cannot reach the host on port ${this.registry.port}: ${err.message}`)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  private openStream(path: string, onData: (value: unknown) => void, onEnd: (err?: Error) => void): { dispose(): void } {
    let done = false;
    // Once, whichever way the stream ends: a host that exits or is killed cuts the response without an 'end'.
    const end = (err?: Error): void => {
      if (done) return;
      done = true;
      onEnd(err);
    };
    const req = http.get({ host: this.registry.address, port: this.registry.port, path, headers: { authorization: `Bearer ${this.registry.controlToken}`, accept: 'text/event-stream' } }, (res) => {
      if ((res.statusCode ?? 500) >= 400) {
        readJson(res)
          .then((body) => end(fromErrorBody(body) ?? new SharedMcpError('INTERNAL', `HTTP ${res.statusCode} from ${path}`)))
          .catch((err: unknown) => end(toSharedMcpError(err)));
        return;
      }
      // Nothing may throw out of a stream listener: an event that is not JSON, or a subscriber that throws, ends the stream with that error.
      const fail = (err: SharedMcpError): void => {
        end(err);
        req.destroy();
      };
      parseSse(
        res,
        (data) => {
          if (done) return;
          let value: unknown;
          try {
            value = JSON.parse(data);
          } catch {
            return fail(new SharedMcpError('HOST_UNREACHABLE', `the host sent an event on ${path.split('?')[0]} that is not JSON`));
          }
          try {
            onData(value);
          } catch (err) {
            fail(new SharedMcpError('INTERNAL', `the listener of ${path.split('?')[0]} failed: ${err instanceof Error ? err.message : String(err)}`));
          }
        },
        (err) => fail(new SharedMcpError('HOST_UNREACHABLE', `the host's stream ${path.split('?')[0]} broke: ${err.message}`)),
      );
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
