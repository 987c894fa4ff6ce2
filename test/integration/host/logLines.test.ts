import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TestHome, fixture } from '../../helpers/hostHarness';
import { INIT, mcpPost } from './http/rawHttp';

const FORGED = '2026-01-01T00:00:00.000Z [host] stopped by the user';

describe('log lines (real host, raw HTTP)', function () {
  this.timeout(60_000);
  let t: TestHome;
  before(async () => {
    t = await TestHome.started({ echo: fixture('fixtureServer.js', { resourceLimits: { maxMessageSize: '1K' } }) });
  });
  after(() => t.dispose());

  it("a client cannot forge a line of a server's log through a method name (regression: a fake [host] line in logs/echo.log)", async () => {
    const init = await mcpPost(t, '/mcp/echo', INIT);
    assert.equal(init.status, 200, init.body);
    const session = { 'mcp-session-id': init.session as string };
    await mcpPost(t, '/mcp/echo', { jsonrpc: '2.0', method: 'notifications/initialized' }, session);
    // Over the server's maxMessageSize: the host refuses it and notes the method in the server's log.
    const method = `tools/call\n${FORGED}\r\n${FORGED}`;
    const answer = await mcpPost(t, '/mcp/echo', { jsonrpc: '2.0', id: 7, method, params: { name: 'echo', arguments: { text: 'x'.repeat(4096) } } }, session);
    assert.match(answer.body, /maxMessageSize/);
    const lines = (await fs.readFile(path.join(t.home, 'logs', 'echo.log'), 'utf8')).split('\n').slice(0, -1);
    const note = lines.find((l) => l.includes('was not sent'));
    assert.ok(note, lines.join('\n'));
    assert.ok(note.includes(`tools/call\\n${FORGED}\\r\\n${FORGED}`), note);
    assert.ok(lines.every((l) => !l.startsWith(FORGED)), 'no forged line');
    assert.ok(lines.every((l) => /^\d{4}-\d\d-\d\dT[\d:.]+Z \[(host|stderr|stdout)\] /.test(l)), lines.join('\n'));
    const logs = await t.cli(['logs', 'echo', '-n', '1000']);
    assert.ok(!logs.stdout.split('\n').some((l) => l.includes(FORGED) && !l.includes('was not sent')), logs.stdout);
  });
});
