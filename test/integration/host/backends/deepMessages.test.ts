import { strict as assert } from 'node:assert';
import { TestHome, alive, fixture } from '../../../helpers/hostHarness';
import { connect, textOf } from '../../../helpers/mcpClients';

/** The error message of a call that must fail, or a failure of the test when it succeeds. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the call succeeded');
}

describe('messages from servers nested 6,000 deep (real host; regression: attack 1)', function () {
  this.timeout(120_000);
  let t: TestHome | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('the host lives: the caller gets an error, a deep notification is dropped while a GET stream is open, others keep working, /mcp answers too', async () => {
    t = await TestHome.create({ deep: fixture('deepServer.js'), echo: fixture('fixtureServer.js') });
    await t.cli(['up']);
    await t.waitFor((s) => s.servers.every((x) => x.state === 'running'), 20_000, 'both running');
    const hostPid = (await t.registry())?.pid as number;
    const deepPid = (await t.server('deep')).pid;
    const first = await connect(t, 'deep', { name: 'first' });
    const second = await connect(t, 'deep', { name: 'second' });
    const echo = await connect(t, 'echo');
    const aggregate = await connect(t, '');
    const notes: unknown[] = [];
    first.client.fallbackNotificationHandler = async (n) => void notes.push(n);
    try {
      // The SDK client opens its GET stream after initialize: server notifications travel on it.
      await first.client.setLoggingLevel('debug');
      for (const tool of ['deep', 'deepIdLast']) {
        assert.match(await failure(first.client.callTool({ name: tool, arguments: {} })), /the server's answer was nested deeper than 512 levels; the host does not pass it on/);
      }
      assert.equal(textOf(await first.client.callTool({ name: 'deepNote', arguments: {} })), 'noted');
      assert.equal(textOf(await first.client.callTool({ name: 'deepAsk', arguments: {} })), 'asked');
      assert.equal(textOf(await first.client.callTool({ name: 'refused', arguments: {} })), '1', 'the deep request of the server was answered with an error');
      assert.deepEqual(notes, [], 'the deep notification reached nobody');

      assert.match(await failure(aggregate.client.callTool({ name: 'deep__deep', arguments: {} })), /nested deeper than 512 levels/, 'through /mcp the answer (an error) arrives');
      assert.equal(textOf(await aggregate.client.callTool({ name: 'echo__echo', arguments: { text: 'agg' } })), 'agg');
      assert.equal(textOf(await second.client.callTool({ name: 'echo', arguments: { text: 'other session' } })), 'other session');
      assert.equal(textOf(await echo.client.callTool({ name: 'echo', arguments: { text: 'other server' } })), 'other server');

      assert.ok(alive(hostPid), 'the host process lives');
      assert.equal((await t.registry())?.pid, hostPid, 'the same host');
      const st = await t.status();
      assert.deepEqual(st.servers.map((s) => [s.name, s.state, s.restarts]), [['deep', 'running', 0], ['echo', 'running', 0]]);
      assert.equal(st.servers[0].pid, deepPid);
      const logs = (await t.cli(['logs', 'deep', '-n', '100'])).stdout;
      assert.match(logs, /dropped a notification from the server: nested deeper than 512 levels/);
      assert.match(logs, /dropped the server's answer to request \d+: nested deeper than 512 levels; its caller gets an error/);
    } finally {
      for (const c of [first, second, echo, aggregate]) await c.client.close();
    }
  });
});
