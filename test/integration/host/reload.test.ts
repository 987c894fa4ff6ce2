import { strict as assert } from 'node:assert';
import { existsSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { ControlClient } from '../../../src/client/controlClient';
import type { HostEvent } from '../../../src/shared/controlTypes';
import { TestHome, fixture } from '../../helpers/hostHarness';
import { connect, textOf } from '../../helpers/mcpClients';

describe('config hot reload (real host)', function () {
  let t: TestHome | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('restarts only the server whose definition changed, adds and removes the others', async () => {
    t = await TestHome.create({ keep: fixture('fixtureServer.js'), change: fixture('fixtureServer.js'), drop: fixture('fixtureServer.js') });
    await t.cli(['up']);
    const before = await t.waitFor((s) => s.servers.every((x) => x.state === 'running'), 20_000, 'running');
    const pid = (n: string, st = before): number | null | undefined => st.servers.find((s) => s.name === n)?.pid;
    const reg = await t.registry();
    const events: HostEvent[] = [];
    const sub = new ControlClient(reg!).events((e) => events.push(e), () => undefined);
    try {
      await t.writeConfig({
        keep: fixture('fixtureServer.js'),
        change: fixture('fixtureServer.js', { env: { CHANGED: '1' } }),
        added: fixture('fixtureServer.js'),
      });
      const after = await t.waitFor(
        (s) => s.servers.length === 3 && s.servers.every((x) => x.state === 'running') && pid('change', s) !== pid('change'),
        20_000,
        'the reload to apply',
      );
      assert.equal(pid('keep', after), pid('keep'), 'unchanged server kept its process');
      assert.deepEqual(after.servers.map((s) => s.name).sort(), ['added', 'change', 'keep']);
      const reloaded = events.find((e) => e.type === 'config-reloaded');
      assert.deepEqual(reloaded && { a: reloaded.added, r: reloaded.removed, c: reloaded.changed }, { a: ['added'], r: ['drop'], c: ['change'] });
    } finally {
      sub.dispose();
    }
  });

  it('a save that changes only tools, roots or idleTimeout keeps the process: a call in flight completes, same pid (regression: defect 2)', async () => {
    t = await TestHome.create({});
    // Roots the server was offered at start (a change among them needs no restart; their appearing would).
    const hold = fixture('holdServer.js', { roots: [path.join(t.home, 'first-root')] });
    await t.writeConfig({ srv: hold });
    await t.cli(['up']);
    const before = await t.waitForState('srv', 'running');
    const events: HostEvent[] = [];
    const sub = new ControlClient((await t.registry())!).events((e) => events.push(e), () => undefined);
    const { client } = await connect(t, 'srv');
    try {
      const release = path.join(t.home, 'release');
      const inFlight = client.callTool({ name: 'hold', arguments: { file: release } });
      await t.waitFor(() => existsSync(`${release}.received`), 10_000, 'the call to reach the server');
      await t.writeConfig({ srv: { ...hold, tools: { disabled: ['echo'] }, roots: [path.join(t.home, 'second-root')], idleTimeout: '1h' } });
      await t.waitFor(() => events.some((e) => e.type === 'config-reloaded'), 10_000, 'the reload');
      const reloaded = events.find((e) => e.type === 'config-reloaded');
      assert.deepEqual(reloaded?.type === 'config-reloaded' && reloaded.changed, ['srv'], 'the reload lists the server as changed');
      const after = await t.server('srv');
      assert.equal(after.state, 'running');
      assert.equal(after.pid, before.pid, 'the same process');
      assert.equal(after.restarts, 0);
      writeFileSync(release, '');
      assert.equal(textOf(await inFlight), 'held', 'the call in flight completed');
      const tools = (await client.listTools()).tools.map((x) => x.name);
      assert.deepEqual(tools, ['hold', 'pid'], 'the new tools filter applies at once');
      assert.ok(!events.some((e) => e.type === 'server-state' && e.server === 'srv'), 'no state change at all');

      // What reaches the process still restarts it.
      await t.writeConfig({ srv: { ...hold, tools: { disabled: ['echo'] }, roots: [path.join(t.home, 'second-root')], idleTimeout: '1h', env: { CHANGED: '1' } } });
      const restarted = await t.waitFor((s) => s.servers[0].state === 'running' && s.servers[0].pid !== before.pid, 20_000, 'the restart for a changed env');
      assert.notEqual(restarted.servers[0].pid, before.pid);
    } finally {
      sub.dispose();
      await client.close();
    }
  });

  it('disabling a running server stops it and logs no failure (regression: "the restart with the new config failed: … disabled")', async () => {
    t = await TestHome.started({ echo: fixture('fixtureServer.js') });
    const events: HostEvent[] = [];
    const sub = new ControlClient((await t.registry())!).events((e) => events.push(e), () => undefined);
    try {
      await t.writeConfig({ echo: fixture('fixtureServer.js', { disabled: true }) });
      await t.waitFor(() => events.some((e) => e.type === 'config-reloaded'), 10_000, 'the reload');
      await t.waitForState('echo', 'disabled');
      const log = (await t.cli(['logs', 'echo', '-n', '200'])).stdout;
      assert.doesNotMatch(log, /failed/);
      const states = events.flatMap((e) => (e.type === 'server-state' ? [e.state] : []));
      assert.deepEqual(states, ['stopping', 'disabled']);
    } finally {
      sub.dispose();
    }
  });

  it('keeps the running config when the new file is invalid, reports it, and recovers when fixed', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') });
    await t.cli(['up']);
    const before = await t.waitForState('echo', 'running');
    const reg = await t.registry();
    const events: HostEvent[] = [];
    const sub = new ControlClient(reg!).events((e) => events.push(e), () => undefined);
    try {
      await t.writeRawConfig(`{\n  "mcpServers": {\n    "echo": { "command": "node", "args": "not-an-array" }\n  }\n}\n`);
      const st = await t.waitFor((s) => s.host?.configError !== null, 10_000, 'the config error');
      assert.match(st.host?.configError?.message ?? '', /config\.jsonc:3:42 mcpServers\.echo\.args: expected an array of strings/);
      assert.equal(st.servers[0].state, 'running');
      assert.equal(st.servers[0].pid, before.pid, 'the server was not touched');
      const human = await t.cli(['status']);
      assert.match(human.stdout, /config error \(not applied; the last valid config, if any, stays in effect\)/);
      const up = await t.cli(['up']);
      assert.equal(up.code, 1, 'up reports a config it could not apply');
      assert.match(up.stderr, /config error, not applied: .*expected an array of strings/);
      const ev = events.find((e) => e.type === 'config-error');
      assert.ok(ev && ev.type === 'config-error' && ev.problems[0].line === 3);

      await t.writeRawConfig('{ "mcpServers": { "echo": { "command": "node" ');
      await t.waitFor((s) => /invalid JSON/.test(s.host?.configError?.message ?? ''), 10_000, 'the syntax error');

      await t.writeRawConfig('');
      await t.waitFor((s) => /is empty or missing; keeping the running config/.test(s.host?.configError?.message ?? ''), 10_000, 'the empty-file error');
      assert.equal((await t.server('echo')).pid, before.pid, 'an emptied file stops nothing (regression)');

      await t.writeConfig({ echo: fixture('fixtureServer.js') });
      const fixed = await t.waitFor((s) => s.host?.configError === null, 10_000, 'the error to clear');
      assert.equal(fixed.servers[0].pid, before.pid, 'same definition as before: not restarted');
    } finally {
      sub.dispose();
    }
  });
});

describe('control API security (real host)', function () {
  let t: TestHome | undefined;
  after(async () => t?.dispose());

  function get(path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      http.get({ host: '127.0.0.1', port: t?.port, path, headers }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      }).on('error', reject);
    });
  }

  it('answers /health without a token, and nothing else', async () => {
    t = await TestHome.create({ secretname: fixture('fixtureServer.js') });
    await t.cli(['up']);
    const r = await get('/health', {});
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.body), { ok: true });
  });

  it('rejects /api without the control token (401), with a foreign Host (403) or Origin (403)', async () => {
    const reg = (await t!.registry())!;
    const auth = { authorization: `Bearer ${reg.controlToken}` };
    assert.equal((await get('/api/status', {})).status, 401);
    assert.equal((await get('/api/status', { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await get('/api/status', { ...auth, host: `evil.example:${t!.port}` })).status, 403);
    assert.equal((await get('/api/status', { ...auth, origin: 'http://evil.example' })).status, 403);
    assert.equal((await get('/api/status', { ...auth, origin: `http://localhost:${t!.port}` })).status, 200);
    const ok = await get('/api/status', auth);
    assert.equal(ok.status, 200);
    assert.ok(JSON.parse(ok.body).servers[0].name === 'secretname');
    const malformed = await get('/api/servers/%E0/logs', auth);
    assert.equal(malformed.status, 400, 'a malformed escape is a bad request, not a crash (regression)');
    const unknown = await get('/api/servers/nope/logs', auth);
    assert.equal(unknown.status, 404);
    assert.equal(JSON.parse(unknown.body).error.code, 'UNKNOWN_SERVER');
  });
});
