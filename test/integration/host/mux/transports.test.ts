import { strict as assert } from 'node:assert';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { FIXTURES, TestHome, fixture } from '../../../helpers/hostHarness';

const fixturePath = (f: string): string => path.join(FIXTURES, f);
import { connect, textOf } from '../../../helpers/mcpClients';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('transports and sharing modes', function () {
  let t: TestHome;
  const clients: Client[] = [];
  before(async () => {
    t = await TestHome.create({
      proto: fixture('protocolServer.js'),
      own: fixture('protocolServer.js', { sharing: 'per-session' }),
      // A wrapper that leaves a grandchild behind: a crash of the session's process must not leave it running.
      family: { command: 'sh', args: ['-c', `sleep 9872 & exec "${process.execPath}" "${fixturePath('protocolServer.js')}"`], sharing: 'per-session' },
    });
    await t.cli(['up']);
    await t.waitForState('proto', 'running');
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close().catch(() => undefined)));
  });
  after(async () => {
    await t.dispose();
  });

  it('serves a legacy HTTP+SSE client beside a Streamable HTTP client on the same backend', async () => {
    const legacy = await connect(t, 'proto', { name: 'old-client', transport: 'sse', samplingAnswer: 'legacy answer' });
    const modern = await connect(t, 'proto', { name: 'new-client' });
    clients.push(legacy.client, modern.client);
    const [a, b] = await Promise.all([legacy.client.callTool({ name: 'pid' }), modern.client.callTool({ name: 'pid' })]);
    assert.equal(textOf(a), textOf(b), 'one backend process');
    const progress: string[] = [];
    await legacy.client.callTool({ name: 'slow', arguments: { tag: 'old', steps: 2, ms: 10 } }, undefined, { onprogress: (p) => void progress.push(String(p.message)) });
    assert.deepEqual(progress, ['old step 1', 'old step 2']);
    assert.match(textOf(await legacy.client.callTool({ name: 'sample', arguments: { prompt: 'x' } })), /legacy answer/);
    const st = await t.server('proto');
    assert.deepEqual(st.sessions.map((s) => [s.client?.name, s.transport]).sort(), [
      ['new-client', 'streamable-http'],
      ['old-client', 'sse'],
    ]);
    await legacy.client.close();
    await t.waitFor((s) => s.servers.find((x) => x.name === 'proto')?.sessions.length === 1, 10_000, 'the legacy session to end with its stream');
  });

  it('per-session: each session gets its own process, initialize passes through, and ending the session stops it', async () => {
    const a = await connect(t, 'own', { name: 'a', samplingAnswer: 'a' });
    const b = await connect(t, 'own', { name: 'b' });
    clients.push(a.client, b.client);
    const [pa, pb] = await Promise.all([a.client.callTool({ name: 'pid' }), b.client.callTool({ name: 'pid' })]);
    assert.notEqual(textOf(pa), textOf(pb));
    const seen = JSON.parse(textOf(await a.client.callTool({ name: 'seen' }))) as Record<string, number>;
    assert.equal(seen.initialize, 1);
    // The backend saw this client's own capabilities (passed through), not the host's.
    assert.match(textOf(await a.client.callTool({ name: 'sample', arguments: { prompt: 'p' } })), /"a"/);
    const st = await t.server('own');
    assert.deepEqual(st.sessions.map((s) => s.pid).sort(), [Number(textOf(pa)), Number(textOf(pb))].sort());
    await (a.transport as StreamableHTTPClientTransport).terminateSession();
    const deadline = Date.now() + 10_000;
    while (alive(Number(textOf(pa))) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(!alive(Number(textOf(pa))), "the ended session's process is gone");
    assert.ok(alive(Number(textOf(pb))), "the other session's process runs on");
  });

  it("per-session: the server asks the session's own client for roots (regression: answered from config)", async () => {
    const { client } = await connect(t, 'own', { name: 'rooted', roots: ['file:///home/me/project'] });
    clients.push(client);
    assert.deepEqual(JSON.parse(textOf(await client.callTool({ name: 'roots' }))), { roots: [{ uri: 'file:///home/me/project' }] });
  });

  it("per-session: a crashed session process takes its grandchildren with it (regression: they outlived the host)", async () => {
    const a = await connect(t, 'family', { name: 'fam' });
    clients.push(a.client);
    await a.client.callTool({ name: 'pid' });
    await a.client.callTool({ name: 'crash' }).catch(() => undefined);
    const sleeping = (): number[] => t.processes().filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('9872');
      } catch {
        return false;
      }
    });
    const deadline = Date.now() + 10_000;
    while (sleeping().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(sleeping(), []);
  });
});
