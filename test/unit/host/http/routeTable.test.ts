import { strict as assert } from 'node:assert';
import { classifyRequest, compileRoutes, type Route } from '../../../../src/host/http/routeTable';

const route = (methods: string[], path: string, extra: Partial<Route> = {}): Route => ({ methods, path, auth: 'none', needsReady: false, errors: 'api', handle: () => undefined, ...extra });

describe('route table: one pure classification of method and URL', () => {
  const mcpPost = route(['POST'], '/mcp/:server?', { errors: 'json-rpc' });
  const mcpGet = route(['GET'], '/mcp/:server?', { errors: 'json-rpc' });
  const mcpDelete = route(['DELETE'], '/mcp/:server?', { errors: 'json-rpc' });
  const logs = route(['GET'], '/api/servers/:server/logs');
  const secretsGet = route(['GET'], '/api/secrets');
  const secretsPost = route(['POST'], '/api/secrets');
  const health = route(['GET', 'HEAD'], '/health', { anyHost: true });
  const table = compileRoutes([mcpPost, mcpGet, mcpDelete, logs, secretsGet, secretsPost, health]);

  it('finds the route and its URI-decoded parameters; an optional last one absent is ""', () => {
    assert.deepEqual(classifyRequest(table, 'POST', '/mcp/echo'), { kind: 'route', route: mcpPost, params: { server: 'echo' }, query: '', errors: 'json-rpc' });
    assert.deepEqual(classifyRequest(table, 'POST', '/mcp'), { kind: 'route', route: mcpPost, params: { server: '' }, query: '', errors: 'json-rpc' });
    assert.deepEqual(classifyRequest(table, 'GET', '/api/servers/my%20server/logs?tail=5&follow=1'), { kind: 'route', route: logs, params: { server: 'my server' }, query: 'tail=5&follow=1', errors: 'api' });
    assert.equal(classifyRequest(table, 'GET', '/health?probe').kind, 'route');
  });

  it('takes one trailing slash as the same path, and nothing looser', () => {
    assert.equal(classifyRequest(table, 'POST', '/mcp/echo/').kind, 'route');
    assert.equal(classifyRequest(table, 'POST', '/mcp/').kind, 'route');
    assert.equal(classifyRequest(table, 'POST', '/mcp/echo//').kind, 'not-found');
    assert.equal(classifyRequest(table, 'POST', '/mcp//echo').kind, 'not-found');
    assert.equal(classifyRequest(table, 'POST', '/mcp/a/b').kind, 'not-found');
    assert.equal(classifyRequest(table, 'POST', '/MCP/echo').kind, 'not-found');
  });

  it('answers 405 with every method the path allows, 404 for unknown paths, in the style of the paths around it', () => {
    assert.deepEqual(classifyRequest(table, 'PUT', '/mcp/echo'), { kind: 'method-not-allowed', path: '/mcp/echo', allow: 'POST, GET, DELETE', errors: 'json-rpc' });
    assert.deepEqual(classifyRequest(table, 'DELETE', '/api/secrets'), { kind: 'method-not-allowed', path: '/api/secrets', allow: 'GET, POST', errors: 'api' });
    assert.deepEqual(classifyRequest(table, 'GET', '/mcpx'), { kind: 'not-found', path: '/mcpx', errors: 'api' });
    assert.deepEqual(classifyRequest(table, 'GET', '/api/nothing?x=1'), { kind: 'not-found', path: '/api/nothing', errors: 'api' });
    assert.deepEqual(classifyRequest(table, 'POST', '/mcp/a/b'), { kind: 'not-found', path: '/mcp/a/b', errors: 'json-rpc' });
    assert.deepEqual(classifyRequest(table, 'GET', ''), { kind: 'not-found', path: '', errors: 'api' });
    assert.deepEqual(classifyRequest(table, 'GET', 'http://evil/mcp/echo'), { kind: 'not-found', path: 'http://evil/mcp/echo', errors: 'api' });
  });

  it('calls a malformed escape in a parameter a bad path, not a crash', () => {
    assert.deepEqual(classifyRequest(table, 'GET', '/api/servers/%E0/logs'), { kind: 'bad-path', path: '/api/servers/%E0/logs', errors: 'api' });
    assert.equal(classifyRequest(table, 'POST', '/mcp/%').kind, 'bad-path');
  });

  it('refuses a table with a method and path served twice, or an optional segment before the last', () => {
    assert.throws(() => compileRoutes([route(['GET'], '/a'), route(['GET', 'POST'], '/a')]), /GET \/a is defined twice/);
    assert.throws(() => compileRoutes([route(['GET'], '/a/:b?/c')]), /only the last segment may be optional/);
    assert.throws(() => compileRoutes([route(['GET'], '/:a')]), /first segment must be literal/);
  });
});
