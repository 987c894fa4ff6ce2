import { strict as assert } from 'node:assert';
import { ControlClient } from '../../../../src/client/controlClient';
import { controlHandlers } from '../../../../src/host/http/controlHandlers';
import { controlRoutes, type ControlHandlers } from '../../../../src/host/http/controlRouter';
import { CONTROL_ROUTES, controlUrl } from '../../../../src/shared/controlRoutes';

describe('control routes: defined once, for the host and ControlClient alike', () => {
  it('builds paths with encoded parameters, leaves undefined query values out, and adds a stream’s fixed query', () => {
    assert.equal(controlUrl(CONTROL_ROUTES.status), '/api/status');
    assert.equal(controlUrl(CONTROL_ROUTES.serverTools, { server: 'a b/c' }), '/api/servers/a%20b%2Fc/tools');
    assert.equal(controlUrl(CONTROL_ROUTES.serverLogs, { server: 'x' }, { tail: 5 }), '/api/servers/x/logs?tail=5');
    assert.equal(controlUrl(CONTROL_ROUTES.serverLogs, { server: 'x' }, { tail: undefined }), '/api/servers/x/logs');
    assert.equal(controlUrl(CONTROL_ROUTES.followServerLogs, { server: 'x' }, { tail: 0 }), '/api/servers/x/logs?tail=0&follow=1');
    assert.throws(() => controlUrl(CONTROL_ROUTES.serverTools, {}), /no value for :server/);
  });

  it('gives the host one route per method and path, each behind the control token; actions wait for start-up', () => {
    const handlers = controlHandlers({} as Parameters<typeof controlHandlers>[0]);
    const routes = controlRoutes(handlers);
    const byKey = new Map(routes.map((r) => [`${r.methods.join(',')} ${r.path}`, r]));
    const specs = Object.values(CONTROL_ROUTES);
    assert.equal(byKey.size, new Set(specs.map((s) => `${s.method} ${s.path}`)).size, 'logs and follow share a route; GET and POST /api/secrets are two');
    for (const s of specs) assert.ok(byKey.has(`${s.method} ${s.path}`), `${s.method} ${s.path} is served`);
    assert.ok(routes.every((r) => r.auth === 'control-token' && r.errors === 'api'));
    assert.deepEqual(
      routes.filter((r) => r.needsReady).map((r) => r.path),
      ['/api/servers/start', '/api/servers/stop', '/api/servers/restart', '/api/sync', '/api/unsync'],
    );
    assert.equal(typeof handlers.events.open, 'function');
  });

  it('makes a missing handler, a wrong body or a wrong answer type a compile error (checked by tsc)', () => {
    // Never called: these lines are here for the compiler. Each @ts-expect-error fails the build if the line compiles.
    const typeChecks = (client: ControlClient, h: ControlHandlers): unknown[] => [
      // @ts-expect-error status takes no body
      client.call('status', { body: { names: [] } }),
      // @ts-expect-error startServers takes { names?: string[] }
      client.call('startServers', { body: { names: 'all' } }),
      // @ts-expect-error serverTools needs its :server parameter
      client.call('serverTools'),
      // @ts-expect-error not a JSON route: a stream
      client.call('events'),
      // @ts-expect-error the answer of status is a HostStatus
      client.call('status').then((s) => s.lines),
      client.call('serverTools', { params: { server: 'x' } }).then((t) => t.tools),
      // @ts-expect-error a handler for a route that does not exist
      ((x: ControlHandlers) => x.nosuch)(h),
      // @ts-expect-error every route needs a handler
      ((x: Omit<ControlHandlers, 'reload'>): ControlHandlers => x)(h),
      // @ts-expect-error a handler must answer with its route's type
      ((): ControlHandlers['clientToken'] => ({ handle: () => ({ token: 1 }) }))(),
    ];
    assert.equal(typeof typeChecks, 'function');
  });
});
