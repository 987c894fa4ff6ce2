import { strict as assert } from 'node:assert';
import { TestHome, fixture } from '../../../helpers/hostHarness';
import { INIT, mcpPost } from './rawHttp';

// The released legacy revisions: Codex 0.171 does not fall back when the list names one it does not know (2024-10-07).
const LEGACY = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'];
const MODERN = '2026-07-28';
const META = { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientInfo': { name: 'claude-code', version: '2.1.328' }, 'io.modelcontextprotocol/clientCapabilities': {} };

/** Exactly what the 2026-07-28 spec's UnsupportedProtocolVersionError says, for the request's own id. */
function unsupported(id: string | number): unknown {
  return {
    jsonrpc: '2.0',
    id,
    error: {
      code: -32022,
      message: `Unsupported protocol version: ${MODERN} (this server speaks ${LEGACY.join(', ')}; start with initialize)`,
      data: { supported: LEGACY, requested: MODERN },
    },
  };
}

describe('both protocol eras: a client of 2026-07-28 is told to fall back (raw HTTP)', function () {
  let t: TestHome;
  before(async () => {
    t = await TestHome.started({ echo: fixture('protocolServer.js') });
  });
  after(() => t.dispose());

  it("answers Claude Code's opening probe (server/discover, MCP-Protocol-Version: 2026-07-28) with 400 -32022 and the legacy versions, on /mcp/<server> and /mcp", async () => {
    for (const path of ['/mcp/echo', '/mcp']) {
      // The id Claude Code 2.1.328 sends (seen through a logging proxy), then the numeric id another client may use.
      for (const id of ['server-discover-probe-1', 0]) {
        const probe = await mcpPost(t, path, { jsonrpc: '2.0', id, method: 'server/discover', params: { _meta: META } }, { 'mcp-protocol-version': MODERN, 'mcp-method': 'server/discover' });
        assert.equal(probe.status, 400, path);
        assert.match(String(probe.headers['content-type']), /^application\/json/);
        assert.deepEqual(JSON.parse(probe.body), unsupported(id), path);
        assert.equal(probe.session, undefined, 'no session is made');
      }
    }
  });

  it('answers any sessionless request that names 2026-07-28 the same way, with its own id (a Codex-shaped probe)', async () => {
    const list = await mcpPost(t, '/mcp/echo', { jsonrpc: '2.0', id: 'list-1', method: 'tools/list', params: { _meta: META } }, { 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/list' });
    assert.equal(list.status, 400);
    assert.deepEqual(JSON.parse(list.body), unsupported('list-1'));
    const bodyOnly = await mcpPost(t, '/mcp/echo', { jsonrpc: '2.0', id: 9, method: 'tools/list', params: { _meta: META } });
    assert.deepEqual(JSON.parse(bodyOnly.body), unsupported(9), 'the version in _meta alone is enough');
    const noHeader = await mcpPost(t, '/mcp/echo', { jsonrpc: '2.0', id: 'd', method: 'server/discover' });
    assert.deepEqual(JSON.parse(noHeader.body), unsupported('d'), 'server/discover alone is enough');
  });

  it('then serves the fallback: initialize opens a legacy session that works', async () => {
    const init = await mcpPost(t, '/mcp/echo', INIT, { 'mcp-protocol-version': MODERN });
    assert.equal(init.status, 200, init.body);
    assert.ok(init.session);
    const list = await mcpPost(t, '/mcp/echo', { jsonrpc: '2.0', id: 1, method: 'tools/list' }, { 'mcp-session-id': init.session, 'mcp-protocol-version': '2025-11-25' });
    assert.equal(list.status, 200);
    assert.ok((JSON.parse(list.body) as { result: { tools: unknown[] } }).result.tools.length > 0);
  });

  it('keeps the legacy answers: a session with an unsupported header gets 400 -32600; a legacy request without a session, 400 "header is required"', async () => {
    const init = await mcpPost(t, '/mcp/echo', INIT);
    const withSession = await mcpPost(t, '/mcp/echo', { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': String(init.session), 'mcp-protocol-version': MODERN });
    assert.equal(withSession.status, 400);
    assert.deepEqual(JSON.parse(withSession.body), { jsonrpc: '2.0', id: null, error: { code: -32600, message: `Bad Request: unsupported protocol version ${MODERN} (supported: ${[...LEGACY, '2024-10-07'].join(', ')})` } });
    const legacy = await mcpPost(t, '/mcp/echo', { jsonrpc: '2.0', id: 3, method: 'tools/list' }, { 'mcp-protocol-version': '2025-06-18' });
    assert.equal(legacy.status, 400);
    assert.deepEqual(JSON.parse(legacy.body), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Bad Request: Mcp-Session-Id header is required' } });
  });
});
