import type { IncomingMessage, ServerResponse } from 'node:http';

/** Who may call a route: anyone, MCP clients (client token), the CLI and editors (control token), or a browser back from sign-in (a pending OAuth `state`). */
export type AuthPolicy = 'none' | 'client-token' | 'control-token' | 'oauth-state';

/** How a route's errors are answered: JSON-RPC error objects for MCP clients, `{error: {code, message}}` for the rest. */
export type ErrorStyle = 'json-rpc' | 'api';

export interface RouteContext {
  req: IncomingMessage;
  res: ServerResponse;
  /** Path parameters, URI-decoded; an optional one that is absent is "". */
  params: Readonly<Record<string, string>>;
  /** The raw query string without "?" ("" when none): parsed only by the routes that read one. */
  query: string;
}

export interface Route {
  readonly methods: readonly string[];
  /** Segments; `:name` is a parameter (one non-empty segment); `:name?` an optional last one. */
  readonly path: string;
  readonly auth: AuthPolicy;
  /** Waits until the host's start-up is done (orphans reaped, config applied) before the handler runs. */
  readonly needsReady: boolean;
  readonly errors: ErrorStyle;
  /** Served whatever Host and Origin say (the DNS-rebinding check is skipped): /health only, which says nothing. */
  readonly anyHost?: boolean;
  handle(ctx: RouteContext): Promise<void> | void;
}

/** What one request is, decided from its method and URL alone. */
export type Classification =
  | { kind: 'route'; route: Route; params: Record<string, string>; query: string; errors: ErrorStyle }
  | { kind: 'not-found'; path: string; errors: ErrorStyle }
  | { kind: 'method-not-allowed'; path: string; allow: string; errors: ErrorStyle }
  | { kind: 'bad-path'; path: string; errors: ErrorStyle };

interface Segment {
  literal?: string;
  param?: string;
  optional?: boolean;
}

interface CompiledRoute {
  route: Route;
  segments: Segment[];
  required: number;
}

/** Routes indexed by their first path segment; built once, read by classifyRequest. */
export interface RouteTable {
  readonly byFirst: ReadonlyMap<string, readonly CompiledRoute[]>;
}

/** Compiles the routes; a pattern that cannot be matched, or one method and path served twice, is a programming error. */
export function compileRoutes(routes: readonly Route[]): RouteTable {
  const byFirst = new Map<string, CompiledRoute[]>();
  const seen = new Set<string>();
  for (const route of routes) {
    const segments = route.path.split('/').slice(1).map(parseSegment);
    const first = segments[0]?.literal;
    if (first === undefined) throw new Error(`route ${route.path}: the first segment must be literal`);
    segments.forEach((s, i) => {
      if (s.optional && i !== segments.length - 1) throw new Error(`route ${route.path}: only the last segment may be optional`);
    });
    for (const method of route.methods) {
      const key = `${method} ${route.path}`;
      if (seen.has(key)) throw new Error(`route ${key} is defined twice`);
      seen.add(key);
    }
    const list = byFirst.get(first) ?? [];
    list.push({ route, segments, required: segments.filter((s) => !s.optional).length });
    byFirst.set(first, list);
  }
  return { byFirst };
}

function parseSegment(text: string): Segment {
  if (!text.startsWith(':')) return { literal: text };
  const optional = text.endsWith('?');
  return { param: text.slice(1, optional ? -1 : undefined), optional };
}

/**
 * Classifies a request by method and URL, and nothing else: the route and its parameters, or 404, or 405 with the
 * methods the path allows, or 400 for a malformed escape. Cheap on the hot path: no URL object, no regular expression.
 */
export function classifyRequest(table: RouteTable, method: string, url: string): Classification {
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const query = q < 0 ? '' : url.slice(q + 1);
  // One trailing slash is the same path ("/mcp/echo/").
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  const parts = trimmed.split('/');
  const candidates = parts[0] === '' ? table.byFirst.get(parts[1]) : undefined;
  const errors = candidates?.[0]?.route.errors ?? 'api';
  if (!candidates) return { kind: 'not-found', path, errors };
  const allow: string[] = [];
  for (const c of candidates) {
    const params = matchSegments(c, parts);
    if (params === undefined) continue;
    if (params === null) return { kind: 'bad-path', path, errors };
    if (c.route.methods.includes(method)) return { kind: 'route', route: c.route, params, query, errors: c.route.errors };
    for (const m of c.route.methods) if (!allow.includes(m)) allow.push(m);
  }
  if (allow.length > 0) return { kind: 'method-not-allowed', path, allow: allow.join(', '), errors };
  return { kind: 'not-found', path, errors };
}

/** The parameters when the path matches, undefined when it does not, null when a parameter is not valid percent-encoding. */
function matchSegments(c: CompiledRoute, parts: string[]): Record<string, string> | undefined | null {
  const n = parts.length - 1;
  if (n < c.required || n > c.segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < c.segments.length; i++) {
    const s = c.segments[i];
    const part = parts[i + 1];
    if (s.literal !== undefined) {
      if (part !== s.literal) return undefined;
      continue;
    }
    const name = s.param as string;
    if (part === undefined) {
      params[name] = '';
      continue;
    }
    if (part === '') return undefined;
    if (!part.includes('%')) {
      params[name] = part;
      continue;
    }
    try {
      params[name] = decodeURIComponent(part);
    } catch {
      return null;
    }
  }
  return params;
}
