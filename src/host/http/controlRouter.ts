import type { IncomingMessage } from 'node:http';
import {
  CONTROL_ROUTES,
  type ControlRouteName,
  type ControlRoutes,
  type EventOf,
  type JsonRoute,
  type ParamsOf,
  type PathParams,
  type QueryParams,
  type RequestOf,
  type ResponseOf,
  type StreamRoute,
} from '../../shared/controlRoutes';
import { openSse, readJsonBody, sendJson } from './httpUtils';
import type { Route, RouteContext } from './routeTable';

interface Input<R> {
  params: ParamsOf<R>;
  /** Query values arrive as text; handlers check the ones they read. */
  query: URLSearchParams;
}

/** How the host serves one JSON route: a check of the client's body when it takes one, the handler, what runs once the answer is out. */
export type JsonHandler<R> = ([RequestOf<R>] extends [void] ? { parseBody?: undefined } : { parseBody(raw: unknown): RequestOf<R> }) & {
  handle(input: Input<R> & { body: RequestOf<R> }): Promise<ResponseOf<R>> | ResponseOf<R>;
  afterResponse?(): void;
};

/**
 * How the host serves one stream. open() checks the request and may throw (the client then gets an error answer,
 * not a 200 and a cut stream); what it returns starts the stream, which sends events until the subscription it
 * returns is disposed (the client left).
 */
export interface StreamHandler<R> {
  open(input: Input<R>): (send: (event: EventOf<R>) => void) => { dispose(): void };
}

type HandlerFor<R> = R extends { kind: 'json' } ? JsonHandler<R> : StreamHandler<R>;

/** One handler per control route: a route without one does not compile. */
export type ControlHandlers = { [K in ControlRouteName]: HandlerFor<ControlRoutes[K]> };

type AnyJson = JsonRoute<unknown, unknown, PathParams, QueryParams>;
type AnyStream = StreamRoute<unknown, PathParams, QueryParams>;
interface Entry {
  spec: AnyJson | AnyStream;
  handler: { parseBody?(raw: unknown): unknown; handle?(input: unknown): unknown; afterResponse?(): void; open?(input: unknown): (send: (e: unknown) => void) => { dispose(): void } };
}

/** The host's routes for the control API (control token), one per method and path of the shared table. */
export function controlRoutes(handlers: ControlHandlers): Route[] {
  const groups = new Map<string, Entry[]>();
  for (const name of Object.keys(CONTROL_ROUTES) as ControlRouteName[]) {
    const spec = CONTROL_ROUTES[name] as AnyJson | AnyStream;
    const key = `${spec.method} ${spec.path}`;
    const list = groups.get(key) ?? [];
    list.push({ spec, handler: handlers[name] as Entry['handler'] });
    groups.set(key, list);
  }
  return [...groups.values()].map((entries) => ({
    methods: [entries[0].spec.method],
    path: entries[0].spec.path,
    auth: 'control-token',
    needsReady: entries.some((e) => e.spec.needsReady),
    errors: 'api',
    handle: (ctx: RouteContext) => serve(ctx, entries),
  }));
}

/** Picks the route of a shared path by its fixed query (`?follow=1` is the stream), then serves it. */
async function serve(ctx: RouteContext, entries: Entry[]): Promise<void> {
  const query = new URLSearchParams(ctx.query);
  const matches = (e: Entry): boolean => e.spec.kind === 'stream' && Object.entries(e.spec.fixedQuery).every(([k, v]) => query.get(k) === v);
  const entry = entries.find((e) => e.spec.kind === 'stream' && Object.keys(e.spec.fixedQuery).length > 0 && matches(e)) ?? entries.find((e) => e.spec.kind === 'json' || matches(e));
  if (!entry) throw new Error(`no control route for ${ctx.req.method ?? ''} ${ctx.req.url ?? ''}`);
  const input = { params: ctx.params, query };
  if (entry.spec.kind === 'stream') {
    const start = entry.handler.open?.(input);
    if (!start) throw new Error(`no stream handler for ${ctx.req.url ?? ''}`);
    let sub: { dispose(): void } | undefined;
    const send = openSse(ctx.req, ctx.res, () => sub?.dispose());
    sub = start(send);
    // The client may have left while the stream was being set up.
    if (ctx.res.destroyed) sub?.dispose();
    return;
  }
  const body = entry.spec.method === 'POST' ? await bodyOf(ctx.req, entry) : undefined;
  const result = await entry.handler.handle?.({ ...input, body });
  sendJson(ctx.res, entry.spec.status, result);
  entry.handler.afterResponse?.();
}

async function bodyOf(req: IncomingMessage, entry: Entry): Promise<unknown> {
  const raw = await readJsonBody(req);
  return entry.handler.parseBody ? entry.handler.parseBody(raw) : undefined;
}
