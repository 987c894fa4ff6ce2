import type { IncomingMessage, ServerResponse } from 'node:http';
import { SharedMcpError } from '../../shared/errors';
import { checkLocalRequest } from './httpUtils';
import { HttpFailure, sendFailure, unauthorized } from './httpErrors';
import { classifyRequest, type ErrorStyle, type Route, type RouteTable } from './routeTable';

/** An OAuth `state` longer than this is no state of ours (ours are 43 characters). */
export const MAX_OAUTH_STATE_CHARS = 256;

export interface DispatcherOptions {
  routes: RouteTable;
  /** The port a request's Host header must name. */
  port(): number;
  /** Both compare in constant time. */
  clientToken: { matches(header: string | undefined): boolean };
  controlToken: { matches(header: string | undefined): boolean };
  /** Sign-ins waiting for the browser to come back, by their `state` (the one credential of an `oauth-state` route). */
  oauthStates: { has(state: string): boolean };
  /** Settles once the host's start-up is done; routes that need it wait. */
  ready(): Promise<void>;
  /** A failure that is no SharedMcpError (a bug): logged with its stack, answered 500. */
  onUnexpected(err: unknown): void;
}

/**
 * The request handler of the host's one listener. In this order, once each: classify (route, 404, 405), the
 * DNS-rebinding check (/health is exempt), the route's auth policy, the ready wait, the handler. Every error goes
 * through sendFailure; the returned promise never rejects.
 */
export function createDispatcher(o: DispatcherOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    let style: ErrorStyle = 'api';
    try {
      const c = classifyRequest(o.routes, req.method ?? '', req.url ?? '/');
      style = c.errors;
      if (c.kind !== 'route' || !c.route.anyHost) checkLocalRequest(req, o.port());
      if (c.kind === 'not-found') throw new SharedMcpError('NOT_FOUND', `not found: ${c.path}`);
      if (c.kind === 'bad-path') throw new SharedMcpError('BAD_REQUEST', `malformed percent-encoding in the path: ${c.path}`);
      if (c.kind === 'method-not-allowed') {
        throw new HttpFailure(new SharedMcpError('METHOD_NOT_ALLOWED', `Method Not Allowed: ${req.method ?? ''} ${c.path} (allowed: ${c.allow})`), { headers: { allow: c.allow } });
      }
      authorize(o, c.route, req, c.query);
      if (c.route.needsReady) await o.ready();
      await c.route.handle({ req, res, params: c.params, query: c.query });
    } catch (err) {
      if (!(err instanceof SharedMcpError) && !(err instanceof HttpFailure)) o.onUnexpected(err);
      try {
        sendFailure(req, res, style, err);
      } catch (sendErr) {
        o.onUnexpected(sendErr);
        res.destroy();
      }
    }
  };
}

function authorize(o: DispatcherOptions, route: Route, req: IncomingMessage, query: string): void {
  switch (route.auth) {
    case 'none':
      return;
    case 'client-token':
      if (o.clientToken.matches(req.headers.authorization)) return;
      throw unauthorized('Unauthorized: send Authorization: Bearer <token from the Shared MCP home>', { 'www-authenticate': 'Bearer realm="shared-mcp"' });
    case 'control-token':
      if (o.controlToken.matches(req.headers.authorization)) return;
      throw unauthorized('missing or wrong control token');
    case 'oauth-state': {
      const state = new URLSearchParams(query).get('state');
      if (state && state.length <= MAX_OAUTH_STATE_CHARS && o.oauthStates.has(state)) return;
      throw new SharedMcpError('FORBIDDEN', 'unknown or expired sign-in: start the sign-in again');
    }
  }
}
