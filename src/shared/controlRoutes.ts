/**
 * The control API (/api/*), defined once: each route's method, path, request body, answer, path parameters and query.
 * The host's control router and ControlClient are both built from this table, so a route without a handler, or a
 * client call with the wrong body or answer type, does not compile.
 */

import type {
  ClientTokenResult,
  HealthInfo,
  HostEvent,
  HostStatus,
  LogLine,
  SecretsList,
  SecretsUpdate,
  SecretsUpdateResult,
  ServerActionRequest,
  ServerActionResult,
  ServerToolsResult,
  SyncRequest,
  SyncResult,
} from './controlTypes';

export type PathParams = Record<string, string>;
export type QueryParams = Record<string, string | number | undefined>;
/** A route without path parameters, or without a query. */
export type None = Record<never, never>;

/** How long a client waits: queries answer at once; actions may wait for servers to start (an npx download). */
export type ControlTimeout = 'query' | 'action';

/** One request, one JSON answer. The `types` field is never set: it only carries the types. */
export interface JsonRoute<Req, Res, Params extends PathParams = None, Query extends QueryParams = None> {
  readonly kind: 'json';
  readonly method: 'GET' | 'POST';
  /** Segments; `:name` is a path parameter (one segment, URI-encoded). */
  readonly path: string;
  /** The HTTP status of a success. */
  readonly status: number;
  /** The host serves it only once start-up is done (orphans reaped, config applied). */
  readonly needsReady: boolean;
  readonly timeout: ControlTimeout;
  readonly types?: { request: Req; response: Res; params: Params; query: Query };
}

/** A Server-Sent Events stream: one JSON value per `data:` event, until either side closes it. */
export interface StreamRoute<Event, Params extends PathParams = None, Query extends QueryParams = None> {
  readonly kind: 'stream';
  readonly method: 'GET';
  readonly path: string;
  /** Query parameters that select the stream where a JSON route has the same path (`?follow=1`). */
  readonly fixedQuery: Readonly<Record<string, string>>;
  readonly needsReady: boolean;
  readonly types?: { event: Event; params: Params; query: Query };
}

interface JsonOptions {
  status?: number;
  needsReady?: boolean;
  timeout?: ControlTimeout;
}

function json<Req, Res, Params extends PathParams = None, Query extends QueryParams = None>(method: 'GET' | 'POST', path: string, o: JsonOptions = {}): JsonRoute<Req, Res, Params, Query> {
  return { kind: 'json', method, path, status: o.status ?? 200, needsReady: o.needsReady ?? false, timeout: o.timeout ?? 'query' };
}

function stream<Event, Params extends PathParams = None, Query extends QueryParams = None>(path: string, fixedQuery: Record<string, string> = {}): StreamRoute<Event, Params, Query> {
  return { kind: 'stream', method: 'GET', path, fixedQuery, needsReady: false };
}

type ServerParam = { server: string };
type TailQuery = { tail?: number };
const ACTION = { needsReady: true, timeout: 'action' } as const;

export const CONTROL_ROUTES = {
  health: json<void, HealthInfo>('GET', '/api/health'),
  status: json<void, HostStatus>('GET', '/api/status'),
  clientToken: json<void, ClientTokenResult>('GET', '/api/client-token'),
  startServers: json<ServerActionRequest, ServerActionResult>('POST', '/api/servers/start', ACTION),
  stopServers: json<ServerActionRequest, ServerActionResult>('POST', '/api/servers/stop', ACTION),
  restartServers: json<ServerActionRequest, ServerActionResult>('POST', '/api/servers/restart', ACTION),
  serverTools: json<void, ServerToolsResult, ServerParam>('GET', '/api/servers/:server/tools'),
  serverLogs: json<void, { lines: LogLine[] }, ServerParam, TailQuery>('GET', '/api/servers/:server/logs'),
  followServerLogs: stream<LogLine, ServerParam, TailQuery>('/api/servers/:server/logs', { follow: '1' }),
  // reload waits for start-up itself, after it is queued behind the reloads before it.
  reload: json<void, HostEvent>('POST', '/api/reload', { timeout: 'action' }),
  sync: json<SyncRequest, SyncResult>('POST', '/api/sync', ACTION),
  unsync: json<SyncRequest, SyncResult>('POST', '/api/unsync', ACTION),
  shutdown: json<void, { ok: true }>('POST', '/api/shutdown', { status: 202 }),
  events: stream<HostEvent>('/api/events'),
  secrets: json<void, SecretsList>('GET', '/api/secrets'),
  setSecrets: json<SecretsUpdate, SecretsUpdateResult>('POST', '/api/secrets'),
} as const;

export type ControlRoutes = typeof CONTROL_ROUTES;
export type ControlRouteName = keyof ControlRoutes;
export type JsonRouteName = { [K in ControlRouteName]: ControlRoutes[K]['kind'] extends 'json' ? K : never }[ControlRouteName];
export type StreamRouteName = { [K in ControlRouteName]: ControlRoutes[K]['kind'] extends 'stream' ? K : never }[ControlRouteName];
type TypesOf<R> = R extends { readonly types?: infer T } ? NonNullable<T> : never;
export type RequestOf<R> = TypesOf<R> extends { request: infer Req } ? Req : never;
export type ResponseOf<R> = TypesOf<R> extends { response: infer Res } ? Res : never;
export type EventOf<R> = TypesOf<R> extends { event: infer E } ? E : never;
export type ParamsOf<R> = TypesOf<R> extends { params: infer P } ? P : never;
export type QueryOf<R> = TypesOf<R> extends { query: infer Q } ? Q : never;

/** What a call of the route needs: a body unless it takes none, path parameters when it has some, a query when it has one. */
export type RouteInput<R> = ([RequestOf<R>] extends [void] ? { body?: undefined } : { body: RequestOf<R> }) &
  (keyof ParamsOf<R> extends never ? { params?: undefined } : { params: ParamsOf<R> }) & { query?: QueryOf<R> };

/** The path and query of one call: parameters URI-encoded, undefined query values left out, a stream's fixed query added. */
export function controlUrl(route: { path: string; fixedQuery?: Readonly<Record<string, string>> }, params: PathParams = {}, query: QueryParams = {}): string {
  const path = route.path.replace(/:([A-Za-z]+)/g, (_, name: string) => {
    const value = params[name];
    if (value === undefined) throw new Error(`control route ${route.path}: no value for :${name}`);
    return encodeURIComponent(value);
  });
  const pairs = Object.entries({ ...query, ...route.fixedQuery }).filter((e): e is [string, string | number] => e[1] !== undefined);
  return pairs.length === 0 ? path : `${path}?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')}`;
}
