import { strict as assert } from 'node:assert';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { TestHome, fixture } from '../../../helpers/hostHarness';
import { connect, textOf } from '../../../helpers/mcpClients';

interface Report {
  dropped: unknown[];
  cancelled: unknown[];
}

describe('every request towards a server carries a deadline (requestTimeout)', function () {
  let t: TestHome;
  const clients: Client[] = [];
  before(async () => {
    t = await TestHome.create({ mute: fixture('silentServer.js', { requestTimeout: '2s' }) });
    await t.cli(['up']);
    await t.waitForState('mute', 'running');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  });
  after(async () => {
    await t.dispose();
  });
  const open = async (name: string): Promise<Client> => {
    const { client } = await connect(t, 'mute', { name });
    clients.push(client);
    return client;
  };

  it('fails six dropped requests for their caller with an error naming server, method and timeout, cancels them at the server, and releases every count (regression: hung for ever, inFlight stayed 6)', async () => {
    const c = await open('dropper');
    const calls = Array.from({ length: 6 }, () => c.callTool({ name: 'drop' }, undefined, { timeout: 30_000 }));
    const outcomes = await Promise.allSettled(calls);
    for (const o of outcomes) {
      assert.equal(o.status, 'rejected');
      const err = (o as PromiseRejectedResult).reason as unknown;
      assert.ok(err instanceof McpError, String(err));
      assert.match(err.message, /"mute" did not answer tools\/call within 2s \(requestTimeout\)/);
    }
    const session = (await t.server('mute')).sessions.find((s) => s.client?.name === 'dropper');
    assert.equal(session?.inFlight, 0, 'nothing left in flight');
    const report = JSON.parse(textOf(await c.callTool({ name: 'report' }))) as Report;
    assert.equal(report.dropped.length, 6);
    for (const id of report.dropped) assert.ok(report.cancelled.includes(id), `cancelled at the server under its own id: ${JSON.stringify(report)}`);
  });

  it('starts the clock again with each progress notification', async () => {
    const c = await open('patient');
    let progress = 0;
    // 8 × 400 ms = 3.2 s in all, longer than the 2 s timeout, but never 2 s without progress.
    const r = await c.callTool({ name: 'slow', arguments: { steps: 8, ms: 400 } }, undefined, { onprogress: () => void progress++, timeout: 30_000 });
    assert.equal(textOf(r), 'slow done');
    assert.equal(progress, 8);
  });
});
