import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { ROOT, TestHome, fixture } from '../../../helpers/hostHarness';
import { connect, textOf } from '../../../helpers/mcpClients';

const EVERYTHING = path.join(ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
const MB = 1024 * 1024;

/** A call's outcome: its text, or its error's message. */
async function outcome(p: Promise<unknown>): Promise<{ ok: true; text: string } | { ok: false; message: string }> {
  try {
    return { ok: true, text: textOf(await p) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

describe('what the host sends to a server (real host, real servers)', function () {
  this.timeout(240_000);
  let t: TestHome | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('refuses 12 MB requests to server-everything for their caller alone: it stays running, a bystander is served (regression: attack 4)', async () => {
    t = await TestHome.create({ everything: { command: process.execPath, args: [EVERYTHING] } });
    await t.cli(['up']);
    const before = await t.waitForState('everything', 'running');
    const attacker = await connect(t, 'everything', { name: 'attacker' });
    const bystander = await connect(t, 'everything', { name: 'bystander' });
    try {
      const big = 'x'.repeat(12 * MB);
      const refused: string[] = [];
      const served: string[] = [];
      for (let i = 0; i < 11; i++) {
        const r = await outcome(attacker.client.callTool({ name: 'echo', arguments: { message: big } }));
        assert.equal(r.ok, false, `request ${i} was refused`);
        if (!r.ok) refused.push(r.message);
        if (i < 9) {
          const b = await outcome(bystander.client.callTool({ name: 'echo', arguments: { message: `hello ${i}` } }));
          assert.ok(b.ok, `bystander call ${i}: ${JSON.stringify(b)}`);
          if (b.ok) served.push(b.text);
        }
      }
      assert.equal(refused.length, 11);
      for (const m of refused) assert.match(m, /over the 10485760-byte cap of server \\?"everything\\?" \(resourceLimits\.maxMessageSize\); it was not sent/);
      assert.equal(served.length, 9);
      const after = await t.server('everything');
      assert.equal(after.state, 'running');
      assert.equal(after.pid, before.pid, 'the same process: it never saw the message');
      assert.equal(after.restarts, 0);
    } finally {
      await attacker.client.close();
      await bystander.client.close();
    }
  });

  it('bounds what waits for a server that stopped reading: later requests get SERVER_BUSY, host memory stays bounded, another server works, and it accepts again once drained (regression: defect 8)', async () => {
    t = await TestHome.create({ stalled: fixture('fixtureServer.js', { resourceLimits: { maxQueueSize: '4M' } }), other: fixture('fixtureServer.js') });
    await t.cli(['up']);
    const stalled = await t.waitForState('stalled', 'running');
    const { client } = await connect(t, 'stalled');
    const other = await connect(t, 'other');
    const waiting: Array<ReturnType<typeof outcome>> = [];
    try {
      const rssBefore = (await t.status()).host?.rssBytes ?? 0;
      process.kill(stalled.pid as number, 'SIGSTOP');
      const text = 'q'.repeat(MB);
      // At most this many 1 MB requests fit under the 4 MB cap (the first partly in the pipe): the rest must be refused.
      const fit = 6;
      const settled = new Set<ReturnType<typeof outcome>>();
      const busy: string[] = [];
      for (let wave = 0; wave < 40; wave++) {
        const calls = Array.from({ length: 10 }, () => {
          const p = outcome(client.callTool({ name: 'echo', arguments: { text } }, undefined, { timeout: 600_000 }));
          void p.then((r) => {
            settled.add(p);
            if (!r.ok) busy.push(r.message);
          });
          return p;
        });
        waiting.push(...calls);
        await t.waitFor(() => waiting.length - settled.size <= fit, 60_000, `wave ${wave}: at most ${fit} requests left waiting (${waiting.length - settled.size} are: the host queued them all)`);
      }
      assert.ok(busy.length >= 400 - fit, `${busy.length} refused`);
      for (const m of busy) assert.match(m, /server \\?"stalled\\?" is not keeping up: .* \(resourceLimits\.maxQueueSize 4 MB\); try again once it catches up/);
      const rssAfter = (await t.status()).host?.rssBytes ?? 0;
      assert.ok(rssAfter - rssBefore < 150 * MB, `host RSS grew by ${Math.round((rssAfter - rssBefore) / MB)} MB over a 400 MB flood`);
      assert.equal(textOf(await other.client.callTool({ name: 'echo', arguments: { text: 'still here' } })), 'still here', 'another server keeps working');
      const during = await t.server('stalled');
      assert.equal(during.state, 'running');
      assert.equal(during.pid, stalled.pid);
      process.kill(stalled.pid as number, 'SIGCONT');
      const queued = (await Promise.all(waiting)).filter((r) => r.ok);
      assert.equal(queued.length, waiting.length - busy.length, 'every queued request was answered');
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'after' } })), 'after', 'it accepts again');
    } finally {
      try {
        process.kill(stalled.pid as number, 'SIGCONT');
      } catch {
        // gone
      }
      await Promise.allSettled(waiting);
      await client.close();
      await other.client.close();
    }
  });
});
