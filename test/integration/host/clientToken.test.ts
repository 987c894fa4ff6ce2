import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TestHome, fixture } from '../../helpers/hostHarness';
import { connect, textOf } from '../../helpers/mcpClients';
import { until } from '../../helpers/until';

/** The host owns the client token in memory; home/token is its copy (defect: a sync without the file wrote "Bearer "). */
describe('the client token (real host)', function () {
  let t: TestHome;
  const tokenFile = (): string => path.join(t.home, 'token');
  const cursorFile = (): string => path.join(t.env.HOME as string, '.cursor', 'mcp.json');
  const cursorAuth = async (): Promise<string> => {
    const doc = JSON.parse(await fs.readFile(cursorFile(), 'utf8')) as { mcpServers: Record<string, { headers?: { Authorization?: string } }> };
    return doc.mcpServers.echo?.headers?.Authorization ?? '';
  };
  const waitForFile = (want: string): Promise<boolean> => until(`home/token to be ${JSON.stringify(want)}`, async () => (await fs.readFile(tokenFile(), 'utf8').catch(() => '')) === want, 10_000);

  beforeEach(async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') }, { syncClients: ['cursor'] });
    await fs.mkdir(path.dirname(cursorFile()), { recursive: true });
    await t.cli(['up']);
    await t.waitForState('echo', 'running');
  });
  afterEach(async () => t.dispose());

  for (const damage of ['removed', 'emptied'] as const) {
    it(`a sync after home/token was ${damage} writes the host's token, and the file comes back`, async () => {
      const original = (await fs.readFile(tokenFile(), 'utf8')).trim();
      assert.match(original, /^[0-9a-f]{64}$/);
      if (damage === 'removed') await fs.rm(tokenFile());
      else await fs.writeFile(tokenFile(), '');
      const r = await t.cli(['sync', '--client', 'cursor']);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await cursorAuth(), `Bearer ${original}`);
      await waitForFile(`${original}\n`);
      const { client } = await connect(t, 'echo', { token: original });
      assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'still' } })), 'still');
      await client.close();
    });
  }

  it('a host restarted over an empty home/token makes a new token rather than refusing to start', async () => {
    await t.cli(['down', '--host']);
    await fs.writeFile(tokenFile(), '\n');
    assert.equal((await t.cli(['up'])).code, 0);
    const token = (await fs.readFile(tokenFile(), 'utf8')).trim();
    assert.match(token, /^[0-9a-f]{64}$/);
    await t.waitForState('echo', 'running');
    const { client } = await connect(t, 'echo', { token });
    assert.equal(textOf(await client.callTool({ name: 'echo', arguments: { text: 'new' } })), 'new');
    await client.close();
  });
});
