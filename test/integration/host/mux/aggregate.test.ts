import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { LoggingMessageNotificationSchema, ToolListChangedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { TestHome, fixture } from '../../../helpers/hostHarness';
import { connect, textOf } from '../../../helpers/mcpClients';
import { until } from '../../../helpers/until';

describe('the aggregate endpoint /mcp', function () {
  let t: TestHome;
  const clients: Client[] = [];
  before(async () => {
    t = await TestHome.create({
      proto: fixture('protocolServer.js', { env: { PROTOCOL_TOOL_PAGES: '3' }, tools: { disabled: ['crash'] } }),
      'my.echo': fixture('fixtureServer.js'),
      off: fixture('fixtureServer.js', { disabled: true }),
    });
    await t.cli(['up']);
    await t.waitFor((s) => s.servers.filter((x) => x.state === 'running').length === 2, 30_000, 'both servers running');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  });
  after(async () => {
    await t.dispose();
  });

  it('lists every server’s tools under <server>__<name>, page by page, and routes calls to the right server', async () => {
    const { client } = await connect(t, '', { name: 'agg' });
    clients.push(client);
    assert.equal(client.getServerVersion()?.name, 'shared-mcp');
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.listTools(cursor ? { cursor } : {});
      names.push(...page.tools.map((x) => x.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor);
    assert.ok(pages >= 4, `walked the pages of both servers (${pages})`);
    assert.ok(names.includes('proto__echo') && names.includes('proto__slow'));
    assert.ok(!names.includes('proto__crash'), 'the tools filter applies');
    const echo = names.find((n) => n.startsWith('my_echo__echo_'));
    assert.ok(echo, `a server name with a dot is made safe and hashed: ${names.join(', ')}`);
    for (const n of names) assert.match(n, /^[A-Za-z0-9_-]{1,47}$/);
    assert.equal(textOf(await client.callTool({ name: 'proto__echo', arguments: { text: 'to proto' } })), 'to proto');
    assert.equal(textOf(await client.callTool({ name: echo, arguments: { text: 'to echo' } })), 'to echo');
    await assert.rejects(client.callTool({ name: 'proto__crash' }), /not found/);
    const progress: string[] = [];
    await client.callTool({ name: 'proto__slow', arguments: { tag: 'agg', steps: 2, ms: 10 } }, undefined, { onprogress: (p) => void progress.push(String(p.message)) });
    assert.deepEqual(progress, ['agg step 1', 'agg step 2']);
  });

  it('routes resources and prompts, and sends one list_changed for a burst of changes', async () => {
    const { client } = await connect(t, '', { name: 'agg2' });
    clients.push(client);
    const resources = await client.listResources();
    assert.deepEqual(resources.resources.map((r) => r.uri), ['fixture://a']);
    const read = await client.readResource({ uri: 'fixture://a' });
    assert.equal((read.contents[0] as { text: string }).text, 'content of fixture://a');
    const prompts = await client.listPrompts();
    assert.deepEqual(prompts.prompts.map((p) => p.name), ['proto__greet']);
    const got = await client.getPrompt({ name: 'proto__greet' });
    assert.match(JSON.stringify(got.messages), /hello from greet/);
    let changes = 0;
    const logs: string[] = [];
    client.setNotificationHandler(ToolListChangedNotificationSchema, async () => void changes++);
    client.setNotificationHandler(LoggingMessageNotificationSchema, async (n) => void logs.push(String(n.params.data)));
    await client.callTool({ name: 'proto__changed' });
    await until('the list_changed', () => changes > 0);
    // A second notification for the burst would travel the same stream before this marker, sent after the first arrived.
    await client.callTool({ name: 'proto__log', arguments: { text: 'marker' } });
    await until('the marker', () => logs.includes('marker'));
    assert.equal(changes, 1);
    const st = await t.status();
    assert.equal(st.aggregate?.sessions.find((s) => s.client?.name === 'agg2')?.client?.version, '1.2.3');
  });
});

describe('the aggregate endpoint when servers come and go', function () {
  let t: TestHome | undefined;
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await t?.dispose();
    t = undefined;
  });

  it('answers a call in flight with an error when its server is removed (regression: it hung)', async () => {
    t = await TestHome.create({ a: fixture('protocolServer.js'), other: fixture('protocolServer.js') });
    await t.cli(['up']);
    await t.waitFor((s) => s.servers.every((x) => x.state === 'running'), 30_000, 'servers running');
    const { client } = await connect(t, '', { name: 'agg' });
    clients.push(client);
    const { client: direct } = await connect(t, 'other', { name: 'counter' });
    clients.push(direct);
    const waiting = client.callTool({ name: 'other__wait', arguments: { ms: 60_000 } });
    // The fixture counts the calls it received, this poll included.
    let polls = 0;
    await until('the call to reach the server', async () => (JSON.parse(textOf(await direct.callTool({ name: 'seen' }))) as Record<string, number>)['tools/call'] > ++polls);
    await t.writeConfig({ a: fixture('protocolServer.js') });
    await assert.rejects(waiting, /removed or reconfigured/);
    assert.equal(textOf(await client.callTool({ name: 'a__echo', arguments: { text: 'still here' } })), 'still here');
  });

  it('lists the servers that run without waiting for one in a crash loop (regression: pages stalled 90 s)', async () => {
    t = await TestHome.create({ a: fixture('protocolServer.js'), looping: { command: process.execPath, args: ['-e', 'process.exit(1)'] } });
    await t.cli(['up']);
    await t.waitForState('a', 'running');
    const { client } = await connect(t, '', { name: 'agg' });
    clients.push(client);
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { timeout: 15_000 });
      names.push(...page.tools.map((x) => x.name));
      cursor = page.nextCursor;
    } while (cursor);
    assert.ok(names.includes('a__echo'));
    assert.ok(!names.some((n) => n.startsWith('looping')));
  });
});

describe('the aggregate endpoint with a server that stops answering', function () {
  let t: TestHome | undefined;
  const clients: Client[] = [];
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
    await t?.dispose();
    t = undefined;
  });

  it('settles every page, skipping the silent server, cancels its stuck request, and frees the session (regression: page 2 hung, inFlight stayed 1)', async () => {
    // The host's own list of `silent` takes its two pages; the aggregate's walk gets page 1 and then silence.
    t = await TestHome.create({ good: fixture('fixtureServer.js'), silent: fixture('silentServer.js', { env: { SILENT_AFTER_LISTS: '3' } }) });
    await t.cli(['up']);
    await t.waitFor((s) => s.servers.every((x) => x.state === 'running' && x.tools !== null), 30_000, 'both servers running and listed');
    const { client } = await connect(t, '', { name: 'agg-silent' });
    clients.push(client);
    const names: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await client.listTools(cursor ? { cursor } : {}, { timeout: 30_000 });
      names.push(...page.tools.map((x) => x.name));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    assert.equal(cursor, undefined, 'the walk ends');
    assert.ok(names.includes('good__echo') && names.includes('silent__echo'), names.join(', '));
    const session = (await t.status()).aggregate?.sessions.find((s) => s.client?.name === 'agg-silent');
    assert.equal(session?.inFlight, 0, 'nothing left in flight');
    const { client: direct } = await connect(t, 'silent', { name: 'inspector' });
    clients.push(direct);
    const report = JSON.parse(textOf(await direct.callTool({ name: 'report' }))) as { dropped: unknown[]; cancelled: unknown[] };
    assert.equal(report.dropped.length, 1, JSON.stringify(report));
    assert.ok(report.cancelled.includes(report.dropped[0]), `the stuck request was cancelled under the id the server saw: ${JSON.stringify(report)}`);
    const log = await fs.readFile(path.join(t.home, 'logs', 'host.log'), 'utf8');
    assert.match(log, /silent.*tools\/list.*skipped/);
  });
});
