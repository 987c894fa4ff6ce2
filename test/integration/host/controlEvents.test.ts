import { strict as assert } from 'node:assert';
import { ControlClient } from '../../../src/client/controlClient';
import type { HostEvent } from '../../../src/shared/controlTypes';
import { TestHome, fixture } from '../../helpers/hostHarness';
import { connect } from '../../helpers/mcpClients';
import { until } from '../../helpers/until';

describe('control API: live events and tool lists for the extension (real host)', function () {
  this.timeout(60_000);
  let t: TestHome | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('announces a server tool list when it is first read, and every session that opens or ends', async () => {
    // Lazy: the server starts with the first session, after we listen.
    t = await TestHome.create({ echo: fixture('protocolServer.js', { autoStart: 'lazy', tools: { disabled: ['crash'] } }) });
    await t.cli(['up']);
    const control = new ControlClient((await t.registry())!);
    const events: HostEvent[] = [];
    const sub = control.events((e) => events.push(e), () => undefined);
    try {
      assert.equal((await control.tools('echo')).tools, null, 'not listed before the server ran');
      const { client, transport } = await connect(t, 'echo');
      await until('sessions-changed on open', () => events.find((e) => e.type === 'sessions-changed' && e.endpoint === 'echo'));
      await until('tools-changed once the server was listed', () => events.find((e) => e.type === 'tools-changed' && e.server === 'echo'));
      const { tools } = await control.tools('echo');
      assert.ok(tools, 'the tools are known once the server ran');
      const names = tools.map((x) => x.name);
      assert.ok(names.includes('echo') && !names.includes('crash'), `the filter applies: ${names.join(', ')}`);
      const opened = events.length;
      await (transport as { terminateSession(): Promise<void> }).terminateSession();
      await client.close();
      await until('sessions-changed on close', () => events.slice(opened).find((e) => e.type === 'sessions-changed' && e.endpoint === 'echo'));
    } finally {
      sub.dispose();
    }
  });

  it('answers 404 with UNKNOWN_SERVER for the tools of a server that does not exist', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    await t.cli(['up']);
    const control = new ControlClient((await t.registry())!);
    await assert.rejects(control.tools('nope'), (err: Error & { code?: string }) => err.code === 'UNKNOWN_SERVER' && /nope/.test(err.message));
  });
});
