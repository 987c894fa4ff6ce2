import type { IncomingMessage, ServerResponse } from 'node:http';
import { controlHandlers, type ControlContext } from './controlHandlers';
import { controlRoutes } from './controlRouter';
import { createDispatcher, type DispatcherOptions } from './dispatcher';
import { sendJson } from './httpUtils';
import { compileRoutes, type Route } from './routeTable';

/** `/health`: for anyone, whatever Host says, and it says nothing (no names, no counts). */
const HEALTH: Route = { methods: ['GET', 'HEAD'], path: '/health', auth: 'none', needsReady: false, errors: 'api', anyHost: true, handle: ({ res }) => sendJson(res, 200, { ok: true }) };

export interface HostRoutesOptions extends Omit<DispatcherOptions, 'routes' | 'oauthStates'> {
  /** The MCP routes (McpService.routes()). */
  mcp: Route[];
  control: ControlContext;
}

/** The host's one table of routes (/health, MCP, the control API) behind the dispatcher that applies each route's checks. */
export function createHostDispatcher(o: HostRoutesOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const { mcp, control, ...dispatch } = o;
  return createDispatcher({
    ...dispatch,
    routes: compileRoutes([HEALTH, ...mcp, ...controlRoutes(controlHandlers(control))]),
    // No route is authorized by an OAuth state yet (OAuth's /oauth/callback will be the first).
    oauthStates: { has: () => false },
  });
}
