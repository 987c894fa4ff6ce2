import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { TestHome, fixture, runCli } from '../../helpers/hostHarness';

describe('shared-mcp CLI', function () {
  let t: TestHome;
  before(async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js', { env: { FIXTURE_STDERR_EVERY_MS: '100' } }) });
  });
  after(async () => t.dispose());

  describe('without a host', () => {
    it('exits 2 with one line for usage errors', async () => {
      for (const args of [['frobnicate'], ['status', '--bogus'], ['logs'], ['logs', 'a', 'b'], ['up', '--host'], ['logs', 'echo', '-n', 'x'], []]) {
        const r = await t.cli(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        if (args.length > 0) assert.equal(r.stderr.trim().split('\n').length, 1, `one line for ${args.join(' ')}: ${r.stderr}`);
        assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      }
    });

    it('refuses a server name that breaks the one rule before it starts a host (regression: Add Server took -memory)', async () => {
      for (const args of [['up', '--', '-memory'], ['logs', 'a/b'], ['down', 'a b'], ['bridge', '.x']]) {
        const r = await t.cli(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, /^shared-mcp: ".+" is not a valid server name: a server name is 1 to 64 letters/);
      }
      assert.equal(await t.registry(), undefined, 'no host was started');
    });

    it('says clearly when SHARED_MCP_HOME is a file, not a folder (regression)', async () => {
      const file = path.join(t.home, 'not-a-folder');
      await fs.writeFile(file, '');
      const r = await runCli(['up'], { ...t.env, SHARED_MCP_HOME: file });
      assert.equal(r.code, 1);
      assert.equal(r.stderr, `shared-mcp: cannot use ${file} as the Shared MCP home: a file is in the way (it must be a folder) (set SHARED_MCP_HOME to another folder)\n`);
    });

    it('prints a stack trace only with --debug', async () => {
      const r = await t.cli(['frobnicate', '--debug']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /\n\s+at /);
    });

    it('reports that no host runs: status exits 1, status --json gives host null, down is a no-op', async () => {
      const s = await t.cli(['status']);
      assert.equal(s.code, 1);
      assert.match(s.stderr, /^shared-mcp: no host is running for .*\(start it with: shared-mcp up\)\n$|^no host is running/);
      const j = await t.cli(['status', '--json']);
      assert.equal(j.code, 1);
      assert.deepEqual(JSON.parse(j.stdout), { schemaVersion: 1, host: null, servers: [] });
      assert.equal((await t.cli(['down'])).code, 0);
      const logs = await t.cli(['logs', 'echo']);
      assert.equal(logs.code, 1);
      assert.match(logs.stderr, /no host is running/);
    });

    it('config path prints the home config; config validate names line, column and key', async () => {
      const p = await t.cli(['config', 'path']);
      assert.equal(p.stdout.trim(), path.join(t.home, 'config.jsonc'));
      assert.equal((await t.cli(['config', 'validate'])).code, 0);
      const bad = path.join(t.home, 'bad.jsonc');
      await fs.writeFile(bad, '{\n  // comment\n  "mcpServers": { "github": { "command": "npx", "args": "x" } },\n}\n');
      const v = await t.cli(['config', 'validate', bad]);
      assert.equal(v.code, 1);
      assert.equal(v.stderr, `error: ${bad}:3:57 mcpServers.github.args: expected an array of strings\n`);
      const missing = await t.cli(['config', 'validate', path.join(t.home, 'nope.jsonc')]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /config file not found/);
      const json = await t.cli(['config', 'validate', bad, '--json']);
      assert.equal(JSON.parse(json.stdout).errors[0].line, 3);
    });
  });

  describe('with a host', () => {
    before(async () => {
      const up = await t.cli(['up']);
      assert.equal(up.code, 0, up.stderr);
    });

    it('status --json has the documented, stable shape', async () => {
      const st = await t.status();
      assert.deepEqual(Object.keys(st), ['schemaVersion', 'host', 'servers', 'aggregate', 'sync']);
      assert.deepEqual(Object.keys(st.sync ?? {}), ['paused', 'lastAt', 'clients']);
      assert.deepEqual(Object.keys(st.aggregate ?? {}), ['endpoint', 'sessions']);
      assert.deepEqual(Object.keys(st.host ?? {}).sort(), ['configError', 'configPath', 'configWarnings', 'home', 'missingSecrets', 'pid', 'port', 'rssBytes', 'startedAt', 'uptimeMs', 'version'].sort());
      assert.deepEqual(
        Object.keys(st.servers[0]).sort(),
        ['autoStart', 'endpoint', 'lastError', 'launch', 'name', 'pid', 'restarts', 'rssBytes', 'serverInfo', 'sessions', 'sharing', 'startedAt', 'state', 'tools', 'transport', 'uptimeMs'].sort(),
      );
      assert.match(st.servers[0].launch, /fixtureServer\.js$/, 'launch is the command line');
    });

    it('names an unknown server clearly and exits 1, touching nothing', async () => {
      const before = await t.server('echo');
      for (const cmd of ['up', 'down', 'restart', 'logs', 'status']) {
        const r = await t.cli([cmd, 'nosuch']);
        assert.equal(r.code, 1, cmd);
        assert.match(r.stderr, /unknown server: nosuch/, cmd);
      }
      assert.equal((await t.server('echo')).pid, before.pid);
    });

    it('warns when the running host is another version, and keeps using it', async () => {
      const file = path.join(t.home, 'host.json');
      const original = await fs.readFile(file, 'utf8');
      await fs.writeFile(file, JSON.stringify({ ...JSON.parse(original), version: '0.0.1' }));
      try {
        const r = await t.cli(['up']);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /the running host is v0\.0\.1, this CLI is v\d+\.\d+\.\d+; restart it with: shared-mcp down --host && shared-mcp up/);
        assert.doesNotMatch(r.stderr, /started the host/);
      } finally {
        await fs.writeFile(file, original);
      }
    });

    it('restart gives the server a new process', async () => {
      const before = await t.server('echo');
      const r = await t.cli(['restart', 'echo']);
      assert.equal(r.code, 0, r.stderr);
      const after = await t.server('echo');
      assert.equal(after.state, 'running');
      assert.notEqual(after.pid, before.pid);
    });

    it('logs -f of an unknown server, or with a bad -n, says so and exits 1 (regression: a 200, then "lost the host: aborted")', async () => {
      const r = await t.cli(['logs', 'nosuch', '-f']);
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^shared-mcp: unknown server: nosuch/);
      const raw = await fetch(`http://127.0.0.1:${t.port}/api/servers/echo/logs?follow=1&tail=-1`, { headers: { authorization: `Bearer ${(await t.registry())?.controlToken}` } });
      assert.equal(raw.status, 400);
      assert.equal(((await raw.json()) as { error: { message: string } }).error.message, '"tail" must be a non-negative integer');
    });

    it('logs -n prints the last lines; logs -f follows new ones', async () => {
      // The server has printed at least three lines by now (its log file shows them): logs -n 3 has three to print.
      const logFile = path.join(t.home, 'logs', 'echo.log');
      const printedBy = Date.now() + 20_000;
      const ticks = async (): Promise<number> => ((await fs.readFile(logFile, 'utf8').catch(() => '')).match(/tick \d+/g) ?? []).length;
      while ((await ticks()) < 3 && Date.now() < printedBy) await new Promise((r2) => setTimeout(r2, 50));
      const r = await t.cli(['logs', 'echo', '-n', '3']);
      assert.equal(r.code, 0);
      assert.equal(r.stdout.trim().split('\n').length, 3);
      const child = t.spawnCli(['logs', 'echo', '-f', '-n', '0']);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
      // Interrupt only once lines are flowing: by then the CLI has its SIGINT handler (a fixed wait is flaky under load).
      const deadline = Date.now() + 20_000;
      while (out.split('\n').filter((l) => /tick \d+/.test(l)).length < 3 && Date.now() < deadline) await new Promise((r2) => setTimeout(r2, 50));
      child.kill('SIGINT');
      const code = await new Promise((r2) => child.on('exit', r2));
      assert.equal(code, 0);
      assert.ok(out.split('\n').filter((l) => /tick \d+/.test(l)).length >= 3, out);
    });

    it('the log file holds the server output with timestamps', async () => {
      const text = await fs.readFile(path.join(t.home, 'logs', 'echo.log'), 'utf8');
      assert.match(text, /^\d{4}-\d\d-\d\dT[\d:.]+Z \[stderr\] tick \d+$/m);
      assert.match(text, /\[host\] started pid \d+/);
    });
  });
});
