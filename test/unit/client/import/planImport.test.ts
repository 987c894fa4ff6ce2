import { strict as assert } from 'node:assert';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { importSourceFiles, IMPORT_SOURCES } from '../../../../src/client/import/importSources';
import { planImport, notReplaced, replaceTargets } from '../../../../src/client/import/planImport';
import { readClientServers } from '../../../../src/client/import/readClientServers';
import { addServersToConfig } from '../../../../src/shared/config/configEdit';
import { parse } from 'jsonc-parser';

describe('import: reading every client, deduplicating, planning', () => {
  let root: string;
  let env: { HOME: string; XDG_CONFIG_HOME: string };
  const write = async (rel: string, text: string): Promise<string> => {
    const file = path.join(root, rel);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
    return file;
  };
  const files = (projects: string[] = []) => importSourceFiles(IMPORT_SOURCES, { env, platform: 'linux' }, { projects });

  beforeEach(async () => {
    root = await fs.mkdtemp(path.join(os.tmpdir(), 'shared-mcp-import-'));
    env = { HOME: path.join(root, 'home'), XDG_CONFIG_HOME: path.join(root, 'home', '.config') };
  });
  afterEach(async () => fs.rm(root, { recursive: true, force: true }));

  it('finds user, local (per-project in ~/.claude.json) and project entries of every client; a broken file is a problem, not a stop', async () => {
    await write('home/.claude.json', '\uFEFF{"mcpServers":{"memory":{"command":"npx","args":["-y","@modelcontextprotocol/server-memory"]}},"projects":{"/src/app":{"mcpServers":{"db":{"command":"sqlite-mcp"}}}}}');
    await write('home/.codex/config.toml', '[mcp_servers.memory]\ncommand = "npx"\nargs = ["-y", "@modelcontextprotocol/server-memory"]\n');
    await write('home/.cursor/mcp.json', '{ "mcpServers": { "memory": { "command": "npx", "args": ["-y", "other-memory"] } } }');
    await write('home/.gemini/settings.json', '{ "mcpServers": { broken');
    await write('home/.config/Code/User/mcp.json', '// VS Code\n{ "servers": { "fetch": { "type": "stdio", "command": "uvx", "args": ["mcp-server-fetch"] } }, "inputs": [] }');
    await write('proj/.mcp.json', '{ "mcpServers": { "proj-tool": { "command": "node", "args": ["tool.js"] } } }');
    const read = await readClientServers(files([path.join(root, 'proj')]));
    assert.deepEqual(read.servers.map((s) => `${s.source}:${s.scope}:${s.name}`).sort(), ['claude:local:db', 'claude:project:proj-tool', 'claude:user:memory', 'codex:user:memory', 'cursor:user:memory', 'vscode:user:fetch']);
    assert.equal(read.problems.length, 1);
    assert.match(read.problems[0].message, /^does not parse \(\w+ at 1:\d+\)$/);

    const plan = planImport(read, { fetch: { command: 'uvx', args: ['mcp-server-fetch'] } });
    assert.deepEqual(plan.add.map((c) => c.name), ['memory', 'db', 'proj-tool']);
    const memory = plan.add[0];
    assert.deepEqual(memory.from.map((f) => f.source), ['claude', 'codex'], 'the same definition from two clients is one server');
    assert.deepEqual(plan.present.map((c) => c.name), ['fetch']);
    assert.deepEqual(plan.conflicts.map((c) => `${c.name}@${c.where}`), ['memory@Cursor']);
    assert.deepEqual(plan.add.find((c) => c.name === 'db')?.entry, { command: 'sqlite-mcp', cwd: '/src/app' });
    assert.deepEqual(replaceTargets([...plan.add, ...plan.present]), { claude: ['memory'], codex: ['memory'] });
    assert.deepEqual(notReplaced(plan.add).map((i) => i.name), ['db', 'proj-tool']);
    assert.match(notReplaced(plan.present)[0].reason, /^VS Code gets the shared one/);
  });

  it('run from the home folder, the user files are not read a second time as project files (regression)', async () => {
    await write('home/.cursor/mcp.json', '{ "mcpServers": { "fs": { "command": "fs-mcp" } } }');
    await write('home/.gemini/settings.json', '{ "mcpServers": { "g": { "command": "g-mcp" } } }');
    const plan = planImport(await readClientServers(files([env.HOME])), {});
    assert.deepEqual(plan.add.map((c) => [c.name, c.entry]), [['fs', { command: 'fs-mcp' }], ['g', { command: 'g-mcp' }]]);
    assert.deepEqual(plan.conflicts, []);
  });

  it('reports a name Shared MCP cannot take, and a name config.jsonc already uses otherwise', async () => {
    await write('home/.claude.json', JSON.stringify({ mcpServers: { 'bad name': { command: 'x' }, github: { command: 'gh-mcp' } } }));
    const plan = planImport(await readClientServers(files()), { github: { command: 'other' } });
    assert.deepEqual(plan.skipped.map((s) => s.name), ['bad name']);
    assert.deepEqual(plan.conflicts.map((c) => [c.name, c.reason]), [['github', 'Shared MCP already has another server of this name']]);
    assert.equal(plan.add.length, 0);
  });

  it('adds imported servers to config.jsonc with its comments kept, and refuses taken names without changing anything', () => {
    const text = '{\n  // my servers\n  "mcpServers": {\n    "a": { "command": "x" } // first\n  }\n}\n';
    const out = addServersToConfig(text, [{ name: 'memory', entry: { command: 'npx', args: ['m'] } }, { name: 'my.tool', entry: { command: 't' } }]);
    assert.ok(out.includes('// my servers') && out.includes('// first'));
    assert.deepEqual(Object.keys((parse(out) as { mcpServers: object }).mcpServers), ['a', 'memory', 'my.tool']);
    assert.throws(() => addServersToConfig(text, [{ name: 'a', entry: { command: 'y' } }]), /already configured: a/);
  });
});
