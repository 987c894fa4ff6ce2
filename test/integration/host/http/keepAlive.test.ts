import { strict as assert } from 'node:assert';
import * as http from 'node:http';
import { TestHome, fixture } from '../../../helpers/hostHarness';
import { clientToken } from '../../../helpers/mcpClients';
import { INIT, mcpPost } from './rawHttp';

describe('keep-alive on MCP event streams (defect 7; real host, heartbeat every 50 ms)', function () {
  let t: TestHome;
  before(async () => {
    t = await TestHome.create({ echo: fixture('protocolServer.js') });
    t.extraEnv = { SHARED_MCP_SSE_HEARTBEAT_MS: '50' };
    await t.cli(['up']);
    await t.waitForState('echo', 'running');
  });
  after(() => t.dispose());

  function stream(pathName: string, headers: Record<string, string>, method = 'GET', body?: string): Promise<{ until(pred: (t: string) => boolean): Promise<string>; close(): void }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port: t.port, path: pathName, method, headers, agent: false }, (res) => {
        let text = '';
        const waiters: Array<() => void> = [];
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          text += d;
          for (const w of waiters.splice(0)) w();
        });
        resolve({
          async until(pred) {
            while (!pred(text)) await new Promise<void>((r) => waiters.push(r));
            return text;
          },
          close: () => res.destroy(),
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  it('sends an SSE comment on the GET stream, on a legacy SSE stream, and on a POST answer that turned into a stream', async () => {
    const token = await clientToken(t);
    const init = await mcpPost(t, '/mcp/echo', INIT);
    const get = await stream('/mcp/echo', { authorization: `Bearer ${token}`, accept: 'text/event-stream', 'mcp-session-id': String(init.session) });
    const legacy = await stream('/sse/echo', { authorization: `Bearer ${token}`, accept: 'text/event-stream' });
    const call = { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'slow', arguments: { steps: 2, ms: 400, tag: 'hb' }, _meta: { progressToken: 'p' } } };
    const post = await stream('/mcp/echo', { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': String(init.session) }, 'POST', JSON.stringify(call));
    try {
      await get.until((x) => x.includes(': ping\n\n'));
      await legacy.until((x) => x.includes(': ping\n\n'));
      // A heartbeat between the first progress and the answer, 400 ms later.
      const text = await post.until((x) => x.includes('"id":1,'));
      const progress = text.indexOf('hb step 1');
      assert.ok(progress > 0 && text.indexOf(': ping\n\n', progress) > progress && text.indexOf(': ping\n\n', progress) < text.indexOf('"id":1,'), text);
    } finally {
      get.close();
      legacy.close();
      post.close();
    }
  });
});
