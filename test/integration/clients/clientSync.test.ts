// Acceptance of client config sync with the real clients (test/clients): what the host writes, Claude Code connects
// with (`claude mcp list`) and Codex parses (`codex mcp list --json`); and issue 5's "done when": a user with servers in
// Claude Code and Codex runs `shared-mcp import --replace`, both clients then list the same servers served once by
// the host, and `shared-mcp unsync` gives them their files back byte for byte.
import { strict as assert } from 'node:assert';
import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { FIXTURES, ROOT, TestHome } from '../../helpers/hostHarness';
import { CLAUDE, CODEX, CODEX_NEWEST, CODEX_NEWEST_PACKAGE, assertClaudeInstalled, assertCodexInstalled, claudeEnv, claudeJsonPath, claudeMcpLogs, killGroup, runClient } from '../../helpers/realClients';

interface CodexServer {
  name: string;
  transport: { type: string; url?: string; http_headers?: Record<string, string> | null; command?: string };
}

describe('client config sync with the real clients (test/clients)', function () {
  this.timeout(240_000);
  let t: TestHome;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];
  const fixtureServer = path.join(FIXTURES, 'fixtureServer.js');

  const claudeFile = (): string => claudeJsonPath(env);
  const codexFile = (): string => path.join(env.CODEX_HOME as string, 'config.toml');

  async function claudeList(): Promise<Map<string, string>> {
    const r = await runClient(CLAUDE, ['mcp', 'list'], { env, cwd: env.HOME as string }, children);
    assert.equal(r.code, 0, `claude mcp list: ${r.stderr}\n${await claudeMcpLogs(env)}`);
    return new Map(r.stdout.split('\n').filter((l) => /^[\w.-]+: /.test(l)).map((l) => [l.slice(0, l.indexOf(':')), l]));
  }

  async function codexList(bin = CODEX): Promise<CodexServer[]> {
    const r = await runClient(bin, ['mcp', 'list', '--json'], { env, cwd: env.HOME as string }, children);
    assert.equal(r.code, 0, `codex mcp list --json: ${r.stderr}`);
    return JSON.parse(r.stdout) as CodexServer[];
  }

  before(() => {
    assertClaudeInstalled();
    assertCodexInstalled();
    assertCodexInstalled(CODEX_NEWEST_PACKAGE);
  });

  beforeEach(async () => {
    t = await TestHome.create({});
    env = claudeEnv(t);
    await fs.mkdir(env.CLAUDE_CONFIG_DIR as string, { recursive: true });
    await fs.mkdir(env.CODEX_HOME as string, { recursive: true });
    await fs.mkdir(env.TMPDIR as string, { recursive: true });
  });

  afterEach(async () => {
    for (const c of children.splice(0)) killGroup(c);
    await t.dispose();
  });

  it('`shared-mcp sync` writes entries Claude Code connects with and Codex lists with their url and header', async () => {
    await t.writeConfig({ echo: { command: process.execPath, args: [fixtureServer] }, notes: { command: process.execPath, args: [fixtureServer, '--name', 'notes'] } });
    await fs.writeFile(claudeFile(), '{\n  "numStartups": 1\n}\n');
    await fs.writeFile(codexFile(), '# mine\nmodel = "o3"\n');
    const r = await t.cli(['sync']);
    assert.equal(r.code, 0, r.stderr);
    await t.waitForState('notes', 'running');
    const token = (await fs.readFile(path.join(t.home, 'token'), 'utf8')).trim();
    const claude = await claudeList();
    for (const name of ['echo', 'notes']) assert.equal(claude.get(name), `${name}: http://127.0.0.1:${t.port}/mcp/${name} (HTTP) - ✔ Connected`);
    // Both pinned Codex releases read the entries the same way.
    for (const bin of [CODEX, CODEX_NEWEST]) {
      const codex = await codexList(bin);
      for (const name of ['echo', 'notes']) {
        const s = codex.find((x) => x.name === name);
        assert.equal(s?.transport.type, 'streamable_http', `${bin}: ${JSON.stringify(codex)}`);
        assert.equal(s?.transport.url, `http://127.0.0.1:${t.port}/mcp/${name}`);
        assert.deepEqual(s?.transport.http_headers, { Authorization: `Bearer ${token}` });
      }
    }
    const dry = await t.cli(['sync', '--dry-run']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.ok(dry.stdout.includes(`Codex (${codexFile()}): unchanged`), dry.stdout);
  });

  it('done when: import --replace, both clients list the same servers served once, unsync gives the files back byte for byte', async () => {
    const claudeOriginal = `{\n  "numStartups": 7,\n  "mcpServers": {\n    "echo": {\n      "type": "stdio",\n      "command": ${JSON.stringify(process.execPath)},\n      "args": [${JSON.stringify(fixtureServer)}],\n      "env": {}\n    }\n  },\n  "projects": {}\n}\n`;
    const codexOriginal = `# Codex\nmodel = "o3"\n\n[mcp_servers.echo]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(fixtureServer)}]\n\n[mcp_servers.notes]\ncommand = ${JSON.stringify(process.execPath)}\nargs = [${JSON.stringify(fixtureServer)}, "--name", "notes"]\n`;
    await fs.writeFile(claudeFile(), claudeOriginal);
    await fs.writeFile(codexFile(), codexOriginal);

    const imp = await t.cli(['import', '--replace']);
    assert.equal(imp.code, 0, imp.stderr);
    assert.match(imp.stdout, /^\+ echo: .*\n\+ notes: /m);
    assert.ok(imp.stdout.includes(`Claude Code (${claudeFile()}): added notes; replaced echo`), imp.stdout);
    assert.ok(imp.stdout.includes(`Codex (${codexFile()}): replaced echo, notes`), imp.stdout);
    // Before any client ran: unsync now would be exact; after the clients ran too (below).
    const dry = await t.cli(['unsync', '--dry-run']);
    assert.ok(dry.stdout.includes(`-url = "http://127.0.0.1:${t.port}/mcp/echo"`), dry.stdout);

    const st = await t.waitFor((s) => s.servers.length === 2 && s.servers.every((x) => x.state === 'running'), 30_000, 'both servers running');
    const pids = st.servers.map((s) => s.pid);
    const claude = await claudeList();
    const codex = await codexList();
    for (const name of ['echo', 'notes']) {
      assert.equal(claude.get(name), `${name}: http://127.0.0.1:${t.port}/mcp/${name} (HTTP) - ✔ Connected`);
      assert.equal(codex.find((x) => x.name === name)?.transport.url, `http://127.0.0.1:${t.port}/mcp/${name}`);
    }
    assert.deepEqual((await t.status()).servers.map((s) => s.pid), pids, 'one process per server, the same before and after both clients connected');
    assert.equal(t.processes().filter((pid) => pid !== (st.host?.pid as number)).length, 2, 'the host runs each server once');

    // Claude Code rewrote its own file while listing (its bookkeeping keys); unsync must keep those and give back ours.
    const afterClaude = JSON.parse(await fs.readFile(claudeFile(), 'utf8')) as Record<string, unknown>;
    const un = await t.cli(['unsync']);
    assert.equal(un.code, 0, un.stderr);
    assert.equal(await fs.readFile(codexFile(), 'utf8'), codexOriginal, 'Codex: byte for byte');
    const restored = JSON.parse(await fs.readFile(claudeFile(), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(restored, { ...afterClaude, mcpServers: JSON.parse(claudeOriginal).mcpServers });

    // And when nobody else wrote meanwhile, byte for byte for both.
    await fs.writeFile(claudeFile(), claudeOriginal);
    const again = await t.cli(['sync', '--force']);
    assert.equal(again.code, 0, again.stderr);
    assert.notEqual(await fs.readFile(claudeFile(), 'utf8'), claudeOriginal);
    assert.equal((await t.cli(['unsync'])).code, 0);
    assert.equal(await fs.readFile(claudeFile(), 'utf8'), claudeOriginal, 'Claude Code: byte for byte');
    assert.equal(await fs.readFile(codexFile(), 'utf8'), codexOriginal, 'Codex: byte for byte');
  });

  it('Claude Desktop: the bridge entry sync writes runs, from the CLI copied into the home, and reaches the shared server', async () => {
    await t.writeConfig({ echo: { command: process.execPath, args: [fixtureServer] } });
    const desktopFile = path.join(env.XDG_CONFIG_HOME as string, 'Claude', 'claude_desktop_config.json');
    await fs.mkdir(path.dirname(desktopFile), { recursive: true });
    await fs.writeFile(desktopFile, '{\n  "globalShortcut": ""\n}\n');
    const r = await t.cli(['sync', '--client', 'claude-desktop']);
    assert.equal(r.code, 0, r.stderr);
    const entry = JSON.parse(await fs.readFile(desktopFile, 'utf8')).mcpServers.echo as { command: string; args: string[]; env?: Record<string, string> };
    assert.equal(entry.args[0], path.join(t.home, 'runtime', JSON.parse(await fs.readFile(path.join(ROOT, 'package.json'), 'utf8')).version, 'cli.js'));
    assert.deepEqual(entry.args.slice(1), ['bridge', 'echo']);
    assert.deepEqual(entry.env, { SHARED_MCP_HOME: t.home });
    // As Claude Desktop runs it: its own environment plus the entry's.
    const transport = new StdioClientTransport({ command: entry.command, args: entry.args, env: { ...(env as Record<string, string>), ...entry.env }, stderr: 'pipe' });
    const client = new Client({ name: 'claude-desktop-stand-in', version: '1.0.0' });
    try {
      await client.connect(transport);
      const result = (await client.callTool({ name: 'echo', arguments: { text: 'through the bridge' } })) as { content: Array<{ text: string }> };
      assert.equal(result.content[0].text, 'through the bridge');
    } finally {
      await client.close();
    }
  });

  it('bad input: an unknown client, a client file that does not parse (named, never written)', async () => {
    await t.writeConfig({ echo: { command: process.execPath, args: [fixtureServer] } });
    const unknown = await t.cli(['sync', '--client', 'emacs']);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr.trim(), 'shared-mcp: unknown client "emacs" (one of: claude, codex, cursor, gemini, windsurf, claude-desktop)');
    const broken = '[mcp_servers.echo\ncommand = "x"\n';
    await fs.writeFile(codexFile(), broken);
    const r = await t.cli(['sync', '--client', 'codex']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^Codex \(.*config\.toml\): error: the file is not valid TOML \(.*\); it was not changed$/m);
    assert.equal(await fs.readFile(codexFile(), 'utf8'), broken);
    const imp = await t.cli(['import', '--from', 'codex', '--dry-run']);
    assert.match(imp.stderr, /config\.toml: not valid TOML .*; it was left alone/);
    const bad = await t.cli(['import', '--from', 'vim']);
    assert.match(bad.stderr, /unknown client "vim" for --from/);
  });
});
