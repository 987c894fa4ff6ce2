import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { CLI, TestHome, fixture, type CliResult } from '../../helpers/hostHarness';
import { connect, textOf } from '../../helpers/mcpClients';

const VALUE = 'ghp-cli-4b7e19d2a0c3';

/** Runs the CLI on a real terminal (util-linux `script` gives it a pty) and types `keys` once it asks. */
function cliOnTerminal(t: TestHome, args: string[], keys: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { env: t.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let typed = false;
    const timer = setTimeout(() => (child.kill('SIGKILL'), reject(new Error(`no answer on the terminal; it showed: ${stdout}`))), 60_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      // Typed only once the prompt shows: by then the CLI has turned echo off.
      if (!typed && stdout.includes('(input hidden): ')) {
        typed = true;
        child.stdin.write(keys);
      }
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr: '' });
    });
  });
}

describe('shared-mcp secret', function () {
  this.timeout(90_000);
  let t: TestHome;
  before(async () => {
    t = await TestHome.create({ sec: fixture('fixtureServer.js', { env: { FIXTURE_ENV_TOOL: '1', API_KEY: '${secret:API_KEY}' } }) });
  });
  after(async () => t.dispose());

  it('exits 2 with one line for usage errors, never repeating a value typed on the command line', async () => {
    for (const args of [['secret'], ['secret', 'frob'], ['secret', 'set'], ['secret', 'set', 'A', VALUE], ['secret', 'delete'], ['secret', 'list', 'x'], ['secret', 'set', 'bad name'], ['secret', 'set', 'A', `--${VALUE}`]]) {
      const r = await t.cli(args, 30_000, '');
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.ok(!r.stderr.includes(VALUE), r.stderr);
    }
    const withValue = await t.cli(['secret', 'set', 'A', VALUE], 30_000, '');
    assert.match(withValue.stderr, /never from the command line/);
    assert.match((await t.cli(['secret', 'set', 'bad name'], 30_000, '')).stderr, /invalid secret name "bad name": a secret name is a letter or "_"/);
  });

  it('refuses an empty value before touching the host; list needs a running host', async () => {
    const r = await t.cli(['secret', 'set', 'API_KEY'], 30_000, '');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no value on stdin: pipe it in/);
    assert.equal(await t.registry(), undefined, 'no host was started for nothing');
    const list = await t.cli(['secret', 'list']);
    assert.equal(list.code, 1);
    assert.match(list.stderr, /no host is running/);
  });

  it('set reads the value from stdin (one trailing newline dropped) and starts the host; the server runs with it', async () => {
    const r = await t.cli(['secret', 'set', 'API_KEY'], 60_000, `${VALUE}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'API_KEY set; used by sec');
    assert.match(r.stderr, /started the host/);
    await t.waitForState('sec', 'running');
    const { client } = await connect(t, 'sec');
    try {
      assert.equal(textOf(await client.callTool({ name: 'env', arguments: { name: 'API_KEY' } })), VALUE);
    } finally {
      await client.close();
    }
    const again = await t.cli(['secret', 'set', 'API_KEY'], 30_000, VALUE);
    assert.match(again.stdout, /^API_KEY unchanged/);
    const unused = await t.cli(['secret', 'set', 'SPARE'], 30_000, 'spare-value');
    assert.match(unused.stdout, /^SPARE set; no server refers to it yet \(use "\$\{secret:SPARE\}"/);
  });

  it('list shows names, set or missing, and the servers using them, never values', async () => {
    const r = await t.cli(['secret', 'list']);
    assert.equal(r.code, 0);
    assert.deepEqual(r.stdout.trim().split('\n'), ['NAME     STATE    SERVERS', 'API_KEY  set      sec', 'SPARE    set      -']);
    const json = await t.cli(['secret', 'list', '--json']);
    assert.deepEqual(JSON.parse(json.stdout), { secrets: [{ name: 'API_KEY', set: true, servers: ['sec'] }, { name: 'SPARE', set: true, servers: [] }] });
    assert.ok(!(r.stdout + json.stdout).includes(VALUE));
  });

  it('asks without echo on a terminal; Ctrl-C cancels and sets nothing', async () => {
    const pid = (await t.server('sec')).pid;
    const typed = await cliOnTerminal(t, ['secret', 'set', 'API_KEY'], `x${VALUE}-tty\u007f\u007f\u007f\u007f\u0015${VALUE}-tty\r`);
    assert.equal(typed.code, 0, typed.stdout);
    assert.match(typed.stdout, /Value for API_KEY \(input hidden\): /);
    assert.ok(!typed.stdout.includes(VALUE), `the terminal showed what was typed: ${typed.stdout}`);
    await t.waitFor((s) => s.servers.some((x) => x.name === 'sec' && x.state === 'running' && x.pid !== pid), 30_000, 'sec restarted with the new value');
    const { client } = await connect(t, 'sec');
    try {
      assert.equal(textOf(await client.callTool({ name: 'env', arguments: { name: 'API_KEY' } })), `${VALUE}-tty`, 'Ctrl-U cleared the line; Enter ended it');
    } finally {
      await client.close();
    }
    const cancelled = await cliOnTerminal(t, ['secret', 'set', 'OTHER'], 'abc\u0003');
    assert.equal(cancelled.code, 2);
    assert.match(cancelled.stdout, /cancelled: nothing was set/);
    assert.ok(!(await t.cli(['secret', 'list'])).stdout.includes('OTHER'));
  });

  it('delete removes a secret (its servers wait for it again); deleting one that is not set exits 1', async () => {
    const r = await t.cli(['secret', 'delete', 'API_KEY']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'API_KEY deleted; sec cannot start until it is set again');
    await t.waitForState('sec', 'needs-secret');
    const again = await t.cli(['secret', 'delete', 'API_KEY']);
    assert.equal(again.code, 1);
    assert.equal(again.stderr, 'secret API_KEY is not set\n');
  });
});
