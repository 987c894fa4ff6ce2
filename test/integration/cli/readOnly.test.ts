// Attack 10, for real: a read-only file system under the home and under a client's config folder (a read-only bind
// mount in a private mount namespace, `unshare -m`; the host started there keeps that view). The host and the CLI
// used to say "ENOENT: no such file or directory, mkdir …": a recursive mkdir hides EROFS (and EACCES) behind ENOENT.
import { strict as assert } from 'node:assert';
import { spawn, spawnSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { CLI, TestHome, fixture, type CliResult } from '../../helpers/hostHarness';

/** How to enter a private mount namespace here: as root directly, else as a user namespace's root; null when neither. */
function unshareArgs(): string[] | null {
  for (const args of [['-r', '-m'], ['-m']]) {
    if (spawnSync('unshare', [...args, 'true']).status === 0) return args;
  }
  return null;
}

/** Runs `node cli.js …args` with `dirs` mounted read-only (in its own mount namespace, inherited by a host it starts). */
function cliWithReadOnly(dirs: string[], args: string[], env: NodeJS.ProcessEnv, unshare: string[]): Promise<CliResult> {
  return cliInNamespace(dirs.map((_, i) => `mount --bind "$${i + 1}" "$${i + 1}" && mount -o remount,bind,ro "$${i + 1}"`).join(' && '), dirs, args, env, unshare);
}

/** Runs `setup` (a shell command line; its arguments are `dirs`) in a private mount namespace, then `node cli.js …args`. */
function cliInNamespace(setup: string, dirs: string[], args: string[], env: NodeJS.ProcessEnv, unshare: string[]): Promise<CliResult> {
  const script = `${setup} && shift ${dirs.length} && exec "$@"`;
  return new Promise((resolve) => {
    const child = spawn('unshare', [...unshare, 'sh', '-c', script, 'sh', ...dirs, process.execPath, CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe('a read-only file system (attack 10, real mounts)', function () {
  this.timeout(60_000);
  let t: TestHome | undefined;
  let unshare: string[];

  before(function () {
    const args = unshareArgs();
    // A kernel or sandbox without mount namespaces: the mapping of the reasons is still covered by fsErrors.test.ts.
    if (!args) this.skip();
    unshare = args;
  });

  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  it('a home that cannot be made: "read-only file system: <home>", one line, exit 1', async () => {
    t = await TestHome.create({});
    const ro = path.join(t.home, 'ro');
    await fs.mkdir(ro);
    const home = path.join(ro, 'shared-mcp');
    const r = await cliWithReadOnly([ro], ['up'], { ...t.env, SHARED_MCP_HOME: home }, unshare);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, `shared-mcp: cannot use ${home} as the Shared MCP home: read-only file system: ${home} (set SHARED_MCP_HOME to another folder)\n`);
  });

  it('a home on a file system made read-only since: the folder it could not make is named', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') }, { syncClients: [] });
    const r = await cliWithReadOnly([t.home], ['up'], t.env, unshare);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stderr, `shared-mcp: cannot use ${t.home} as the Shared MCP home: read-only file system: ${path.join(t.home, 'logs')} (set SHARED_MCP_HOME to another folder)\n`);
  });

  it('sync into a read-only folder: each client says "read-only file system: <path>"; nothing else is lost', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') }, { syncClients: [] });
    const userHome = t.env.HOME as string;
    const cursor = path.join(userHome, '.cursor', 'mcp.json');
    await fs.mkdir(path.dirname(cursor), { recursive: true });
    await fs.writeFile(cursor, '{\n  "mcpServers": {}\n}\n');
    // The host starts inside the namespace where the user's home is read-only; the CLI outside only talks to it.
    const up = await cliWithReadOnly([userHome], ['up'], t.env, unshare);
    assert.equal(up.code, 0, up.stderr);
    await t.waitForState('echo', 'running');
    const r = await t.cli(['sync', '--client', 'cursor', '--client', 'gemini']);
    assert.equal(r.code, 1, r.stdout);
    assert.ok(r.stdout.includes(`Cursor (${cursor}): error: read-only file system: ${cursor}; it was not changed`), r.stdout);
    const gemini = path.join(userHome, '.gemini');
    assert.ok(r.stdout.includes(`(${path.join(gemini, 'settings.json')}): error: read-only file system: ${gemini}`), r.stdout);
    assert.equal(await fs.readFile(cursor, 'utf8'), '{\n  "mcpServers": {}\n}\n');
    assert.match((await t.status()).servers[0].state, /^running$/, 'the host carries on');
  });

  it('sync into a full file system: "no space left on device: <file>"', async () => {
    t = await TestHome.create({ echo: fixture('fixtureServer.js') }, { syncClients: [] });
    const folder = path.join(t.env.HOME as string, '.cursor');
    await fs.mkdir(folder, { recursive: true });
    const cursor = path.join(folder, 'mcp.json');
    // A 64 KiB tmpfs over ~/.cursor with the client's file in it, then filled up to the last byte.
    const setup = `mount -t tmpfs -o size=64k tmpfs "$1" && printf '{\\n  "mcpServers": {}\\n}\\n' > "$1/mcp.json" && (cat /dev/zero > "$1/filler" 2>/dev/null || true)`;
    const up = await cliInNamespace(setup, [folder], ['up'], t.env, unshare);
    assert.equal(up.code, 0, up.stderr);
    await t.waitForState('echo', 'running');
    const r = await t.cli(['sync', '--client', 'cursor']);
    assert.equal(r.code, 1, r.stdout);
    assert.equal(r.stdout.trim(), `Cursor (${cursor}): error: no space left on device: ${cursor}; it was not changed`);
  });
});
