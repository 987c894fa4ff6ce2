import { strict as assert } from 'node:assert';
import { promises as fs, readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { ControlClient } from '../../../src/client/controlClient';
import type { HostEvent } from '../../../src/shared/controlTypes';
import { SharedMcpError } from '../../../src/shared/errors';
import { TestHome, fixture, freePort } from '../../helpers/hostHarness';
import { connect, textOf } from '../../helpers/mcpClients';
import { INIT, mcpPost } from './http/rawHttp';

/** Distinctive values: none of them may show anywhere but in the server's own environment. */
const FIRST = 'sk-first-7f3a9c2e1b04d5';
const SECOND = 'sk-second-c81d0e6f29ab73';

const withSecret = (extra: Record<string, unknown> = {}) => fixture('fixtureServer.js', { env: { FIXTURE_ENV_TOOL: '1', API_KEY: '${secret:API_KEY}' }, ...extra });

async function control(t: TestHome): Promise<ControlClient> {
  const reg = await t.registry();
  assert.ok(reg, 'a host is registered');
  return new ControlClient(reg);
}

/** The env tool's answer: what the server process sees in one variable. */
async function envSeenByServer(t: TestHome, server: string, variable: string): Promise<string> {
  const { client } = await connect(t, server);
  try {
    return textOf(await client.callTool({ name: 'env', arguments: { name: variable } }));
  } finally {
    await client.close();
  }
}

/** Everything the host wrote that a user or another program may read: its log, its output, every server log, and what the CLI shows. */
async function everythingShown(t: TestHome, servers: string[]): Promise<string> {
  const logs = path.join(t.home, 'logs');
  const files = await fs.readdir(logs);
  const texts = await Promise.all(files.map((f) => fs.readFile(path.join(logs, f), 'utf8')));
  const cli = await Promise.all([['status', '--json'], ['status'], ['secret', 'list', '--json'], ...servers.map((s) => ['logs', s, '-n', '1000'])].map((args) => t.cli(args)));
  return [...texts, ...cli.map((r) => r.stdout + r.stderr)].join('\n');
}

describe('${secret:NAME} (real host, real servers)', function () {
  this.timeout(90_000);
  let t: TestHome | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('needs-secret until the secret is pushed, then runs with it; a new value restarts it; no value shows anywhere', async () => {
    t = await TestHome.create({ sec: withSecret(), lazy: fixture('fixtureServer.js', { autoStart: 'lazy', env: { FIXTURE_ENV_TOOL: '1', API_KEY: '${secret:API_KEY}', OTHER: '${secret:OTHER}' } }), plain: fixture('fixtureServer.js') });
    const up = await t.cli(['up']);
    assert.equal(up.code, 1, 'up exits 1 while a server waits for a secret');
    const waiting = await t.waitForState('sec', 'needs-secret');
    assert.equal(waiting.lastError, 'missing secret: API_KEY (set it with `shared-mcp secret set API_KEY` or "Shared MCP: Set Secret…" in VS Code)');
    assert.equal(waiting.pid, null, 'nothing was started');
    assert.equal((await t.server('lazy')).state, 'needs-secret', 'a lazy server says at once that it cannot start');
    assert.equal((await t.server('plain')).state, 'running');
    let st = await t.status();
    assert.deepEqual(st.host?.missingSecrets, ['API_KEY', 'OTHER']);

    const c = await control(t);
    const events: HostEvent[] = [];
    const sub = c.events((e) => events.push(e), () => undefined);
    try {
      const answer = await c.setSecrets({ set: { API_KEY: FIRST } });
      assert.deepEqual(answer.changed, ['API_KEY']);
      assert.deepEqual(answer.secrets, [
        { name: 'API_KEY', set: true, servers: ['sec', 'lazy'] },
        { name: 'OTHER', set: false, servers: ['lazy'] },
      ]);
      const running = await t.waitForState('sec', 'running');
      assert.equal(running.lastError, null, 'the missing-secret reason is gone');
      assert.equal(await envSeenByServer(t, 'sec', 'API_KEY'), FIRST);
      assert.doesNotMatch(readFileSync(`/proc/${running.pid}/cmdline`, 'utf8'), new RegExp(FIRST), 'not in the process arguments');
      st = await t.status();
      assert.deepEqual(st.host?.missingSecrets, ['OTHER']);
      assert.equal(st.servers.find((s) => s.name === 'lazy')?.state, 'needs-secret');

      await c.setSecrets({ set: { OTHER: 'other-value-123' } });
      await t.waitForState('lazy', 'idle');
      assert.equal((await t.server('lazy')).pid, null, 'a lazy server does not start before a request');
      assert.equal(await envSeenByServer(t, 'lazy', 'OTHER'), 'other-value-123', 'it starts with the next request, with its secret');

      const same = await c.setSecrets({ set: { API_KEY: FIRST } });
      assert.deepEqual(same.changed, [], 'the same value is no change');
      assert.equal((await t.server('sec')).pid, running.pid);

      await c.setSecrets({ set: { API_KEY: SECOND } });
      const restarted = await t.waitFor((s) => s.servers.some((x) => x.name === 'sec' && x.state === 'running' && x.pid !== running.pid), 30_000, 'sec restarted');
      assert.ok(restarted);
      assert.equal(await envSeenByServer(t, 'sec', 'API_KEY'), SECOND);
      assert.equal((await t.server('plain')).restarts, 0, 'a server that does not use it is left alone');
      assert.ok(events.some((e) => e.type === 'secrets-changed' && e.names.includes('API_KEY')), 'editors hear of the change');

      await c.setSecrets({ delete: ['API_KEY'] });
      const deleted = await t.waitForState('sec', 'needs-secret');
      assert.match(deleted.lastError ?? '', /^missing secret: API_KEY/);
    } finally {
      sub.dispose();
    }
    const shown = `${await everythingShown(t, ['sec', 'lazy', 'plain'])}\n${JSON.stringify(events)}`;
    for (const value of [FIRST, SECOND, 'other-value-123']) assert.ok(!shown.includes(value), `${value} showed in a log, the status, the events or the CLI`);
    assert.match(shown, /secrets changed: API_KEY/, 'the host log names what changed');
  });

  it('redacts a secret that a server prints on stderr from status, events, host.log, its log file, `logs` and followers (regression: attack 5)', async () => {
    const KEY = 'sk-leaked-4e9b2d7c0a1f';
    t = await TestHome.create({ leak: fixture('leakServer.js', { env: { API_KEY: '${secret:API_KEY}' }, resourceLimits: { maxRestarts: 1, restartDelay: 50 } }) });
    await t.cli(['up']);
    await t.waitForState('leak', 'needs-secret');
    const c = await control(t);
    const events: HostEvent[] = [];
    const followed: string[] = [];
    const sub = c.events((e) => events.push(e), () => undefined);
    const follower = c.followLogs('leak', 0, (l) => followed.push(l.text), () => undefined);
    try {
      await c.setSecrets({ set: { API_KEY: KEY } });
      const failed = await t.waitForState('leak', 'failed', 20_000);
      await t.waitFor(() => events.some((e) => e.type === 'server-state' && e.state === 'failed') && followed.some((l) => l.includes('crash loop')), 10_000, 'the failure in the events and the follower');
      const places: Record<string, string> = {
        'status --json (lastError)': (await t.cli(['status', '--json'])).stdout,
        'the events stream': JSON.stringify(events),
        'host.log': await fs.readFile(path.join(t.home, 'logs', 'host.log'), 'utf8'),
        'logs/leak.log': await fs.readFile(path.join(t.home, 'logs', 'leak.log'), 'utf8'),
        '`shared-mcp logs leak`': (await t.cli(['logs', 'leak', '-n', '1000'])).stdout,
        'a log follower': followed.join('\n'),
      };
      for (const [place, text] of Object.entries(places)) {
        assert.ok(!text.includes(KEY), `the key shows in ${place}`);
        assert.match(text, /\[redacted\]/, `${place} shows [redacted] where the key was`);
      }
      assert.match(failed.lastError ?? '', /fatal: the key \[redacted\] was refused/);
    } finally {
      sub.dispose();
      follower.dispose();
    }
  });

  it('keeps redacting a value after it was changed or deleted: what the process started with it prints while it stops shows none of it (regression)', async () => {
    t = await TestHome.create({ tell: fixture('tellOnStopServer.js', { env: { API_KEY: '${secret:API_KEY}' } }) });
    await t.cli(['up']);
    await t.waitForState('tell', 'needs-secret');
    const c = await control(t);
    const followed: string[] = [];
    const follower = c.followLogs('tell', 0, (l) => followed.push(l.text), () => undefined);
    const told = (): string[] => followed.filter((l) => l.startsWith('stopping; my key was'));
    try {
      await c.setSecrets({ set: { API_KEY: FIRST } });
      await t.waitForState('tell', 'running');
      await c.setSecrets({ set: { API_KEY: SECOND } });
      await t.waitFor(() => told().length === 1, 15_000, 'the process with the first value told it while stopping');
      await t.waitForState('tell', 'running');
      await c.setSecrets({ delete: ['API_KEY'] });
      await t.waitFor(() => told().length === 2, 15_000, 'the process with the second value told it while stopping');
      await t.waitForState('tell', 'needs-secret');
      assert.deepEqual(told(), ['stopping; my key was [redacted]', 'stopping; my key was [redacted]']);
      const shown = `${await everythingShown(t, ['tell'])}\n${followed.join('\n')}`;
      for (const value of [FIRST, SECOND]) assert.ok(!shown.includes(value), `${value} showed after it was replaced`);
    } finally {
      follower.dispose();
    }
  });

  it("redacts a per-session server's failed start in the error its client gets (regression: no server state redacts it on that path)", async () => {
    t = await TestHome.create({ own: fixture('refuseInitServer.js', { sharing: 'per-session', env: { API_KEY: '${secret:API_KEY}' } }) });
    await t.cli(['up']);
    await (await control(t)).setSecrets({ set: { API_KEY: FIRST } });
    const answer = await mcpPost(t, '/mcp/own', INIT);
    assert.ok(!answer.body.includes(FIRST), answer.body);
    assert.match(answer.body, /the key \[redacted\] was refused/);
    assert.ok(!(await everythingShown(t, ['own'])).includes(FIRST));
  });

  it('answers bad POST /api/secrets bodies with one line that names no value, and changes nothing', async () => {
    t = await TestHome.create({ sec: withSecret() });
    await t.cli(['up']);
    const c = await control(t);
    const cases: Array<[unknown, RegExp]> = [
      [[], /expected \{"set"/],
      [{ set: { API_KEY: 'ok' }, extra: 1 }, /unknown key "extra"/],
      [{ set: ['x'] }, /"set" must be an object/],
      [{ delete: 'API_KEY' }, /"delete" must be an array/],
      [{ set: { 'bad name': 'value-in-bad-name-1' } }, /^invalid secret name: a secret name is/],
      [{ set: { 'value-as-name-secret!': 'x' } }, /^invalid secret name/],
      [{ set: { API_KEY: 42 } }, /secret API_KEY: the value must be a string/],
      [{ set: { API_KEY: '' } }, /secret API_KEY: the value is empty \(to remove a secret, delete it\)/],
      [{ set: { API_KEY: 'nul\u0000value-secret-2' } }, /secret API_KEY: the value contains a NUL character/],
      [{ set: { API_KEY: 'both-value-secret-3' }, delete: ['API_KEY'] }, /secret API_KEY is both set and deleted/],
      [{ delete: ['1X'] }, /invalid secret name/],
    ];
    for (const [body, message] of cases) {
      await assert.rejects(c.setSecrets(body as never), (e: unknown) => {
        assert.ok(e instanceof SharedMcpError, String(e));
        assert.equal(e.code, 'BAD_REQUEST', JSON.stringify(body));
        assert.match(e.message, message);
        assert.equal(e.message.split('\n').length, 1);
        assert.doesNotMatch(e.message, /value-in-bad-name-1|value-as-name-secret|secret-2|secret-3/);
        return true;
      });
    }
    assert.deepEqual((await c.secrets()).secrets, [{ name: 'API_KEY', set: false, servers: ['sec'] }], 'nothing was set');
    assert.equal((await t.server('sec')).state, 'needs-secret');
  });

  it('resolves ${secret:NAME} in a remote server\'s headers; a new value retries a remote that answered 401', async () => {
    const seen: string[] = [];
    const remote = http.createServer((req, res) => {
      seen.push(String(req.headers.authorization));
      res.writeHead(401, { 'www-authenticate': 'Bearer realm="test"' });
      res.end();
    });
    const port = await freePort();
    await new Promise<void>((r) => remote.listen(port, '127.0.0.1', () => r()));
    try {
      t = await TestHome.create({ api: { url: `http://127.0.0.1:${port}/mcp`, headers: { Authorization: 'Bearer ${secret:API_TOKEN}' } } });
      await t.cli(['up']);
      await t.waitForState('api', 'needs-secret');
      assert.equal(seen.length, 0, 'no request without its secret');
      const c = await control(t);
      await c.setSecrets({ set: { API_TOKEN: FIRST } });
      const denied = await t.waitForState('api', 'needs-auth', 15_000);
      assert.ok(seen.includes(`Bearer ${FIRST}`), `the header carried the secret: ${seen.length} requests`);
      assert.ok(!(denied.lastError ?? '').includes(FIRST));
      const before = seen.length;
      await c.setSecrets({ set: { API_TOKEN: SECOND } });
      await t.waitFor(() => seen.slice(before).includes(`Bearer ${SECOND}`), 15_000, 'a retry with the new value');
      await t.waitForState('api', 'needs-auth', 15_000);
      const shown = await everythingShown(t, ['api']);
      assert.ok(!shown.includes(FIRST) && !shown.includes(SECOND), 'no header value in logs, status or CLI output');
    } finally {
      remote.close();
    }
  });

  it('persistSecrets: off keeps secrets in memory only; on keeps them in secrets.json (0600) across host restarts; off again removes the file', async () => {
    const file = (h: TestHome): string => path.join(h.home, 'secrets.json');
    t = await TestHome.create({ sec: withSecret() });
    await t.cli(['up']);
    assert.equal((await t.cli(['secret', 'set', 'API_KEY'], 30_000, `${FIRST}\n`)).code, 0);
    await t.waitForState('sec', 'running');
    await assert.rejects(fs.access(file(t)), 'no file while persistSecrets is off');
    await t.cli(['down', '--host']);
    await t.cli(['up']);
    await t.waitForState('sec', 'needs-secret');

    await t.writeConfig({ sec: withSecret() }, { persistSecrets: true });
    await (await control(t)).reload();
    assert.equal((await t.cli(['secret', 'set', 'API_KEY'], 30_000, FIRST)).code, 0);
    await t.waitForState('sec', 'running');
    const stat = await fs.stat(file(t));
    assert.equal(stat.mode & 0o777, 0o600);
    assert.equal(JSON.parse(await fs.readFile(file(t), 'utf8')).secrets.API_KEY, FIRST);
    assert.deepEqual((await fs.readdir(t.home)).filter((f) => f.includes('secrets.json') && f !== 'secrets.json'), [], 'no temp files left (atomic writes)');

    await t.cli(['down', '--host']);
    const up = await t.cli(['up']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.equal((await t.server('sec')).state, 'running', 'read back at start: running without a push');
    assert.equal(await envSeenByServer(t, 'sec', 'API_KEY'), FIRST);

    await t.writeConfig({ sec: withSecret() }, { persistSecrets: false });
    await (await control(t)).reload();
    await assert.rejects(fs.access(file(t)), 'turning it off removes the file');
    assert.deepEqual((await (await control(t)).secrets()).secrets.map((s) => [s.name, s.set]), [['API_KEY', true]], 'the memory keeps the value until the host stops');
    const hostLog = await fs.readFile(path.join(t.home, 'logs', 'host.log'), 'utf8');
    assert.match(hostLog, /read 1 secret\(s\) from .*secrets\.json: API_KEY/);
    assert.ok(!hostLog.includes(FIRST));
  });

  it('moves an unreadable secrets.json aside instead of overwriting it, and tightens a loose mode', async () => {
    t = await TestHome.create({ sec: withSecret() }, { persistSecrets: true });
    await fs.writeFile(path.join(t.home, 'secrets.json'), '{ "secrets": not json', { mode: 0o644 });
    await t.cli(['up']);
    const aside = (await fs.readdir(t.home)).filter((f) => f.startsWith('secrets.json.unreadable-'));
    assert.equal(aside.length, 1, 'the old file is kept');
    assert.equal(await fs.readFile(path.join(t.home, aside[0]), 'utf8'), '{ "secrets": not json');
    assert.equal((await fs.stat(path.join(t.home, aside[0]))).mode & 0o777, 0o600, 'tightened before it was read');
    assert.equal((await t.server('sec')).state, 'needs-secret');
    assert.match(await fs.readFile(path.join(t.home, 'logs', 'host.log'), 'utf8'), /is not a secrets file .* moved it to/);
  });
});
