import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { diffServers, loadConfig, parseConfig } from '../../../../src/shared/config/loadConfig';
import type { ServerDefinition } from '../../../../src/shared/config/configTypes';
import { SharedMcpError } from '../../../../src/shared/errors';

const FILE = path.join(os.tmpdir(), 'shared-mcp-unit-cfg', 'config.jsonc');

function server(config: Record<string, unknown>, name = 's'): ServerDefinition {
  const loaded = parseConfig(JSON.stringify({ mcpServers: { [name]: config } }), FILE);
  const def = loaded.servers.find((d) => d.name === name);
  assert.ok(def, `server ${name} missing`);
  return def;
}

function parseError(text: string, file = FILE): SharedMcpError {
  try {
    parseConfig(text, file);
  } catch (err) {
    assert.ok(err instanceof SharedMcpError, `expected SharedMcpError, got ${String(err)}`);
    return err;
  }
  assert.fail('parseConfig did not throw');
}

describe('parseConfig', () => {
  it('gives an empty config default settings', () => {
    const c = parseConfig('', FILE);
    assert.deepEqual(c.settings, { port: 19100, logLevel: 'info', shellEnv: true, stopGraceMs: 5000, maxMessageBytes: 32 * 1024 * 1024, maxSessions: 1000, sessionIdleTimeoutMs: 3_600_000, syncClients: 'auto', persistSecrets: false });
    assert.deepEqual(c.servers, []);
    assert.deepEqual(c.warnings, []);
    assert.equal(c.path, path.resolve(FILE));
  });

  it('fills server defaults', () => {
    const d = server({ command: 'node' });
    assert.deepEqual(d, {
      name: 's',
      transport: 'stdio',
      command: 'node',
      args: [],
      env: {},
      headers: {},
      disabled: false,
      autoStart: true,
      startupTimeoutMs: 60_000,
      sharing: 'multiplex',
      tools: {},
      maxRestarts: 10,
      restartDelayMs: 1000,
      roots: [],
      requestTimeoutMs: 600_000,
      maxMessageBytes: 10 * 1024 * 1024,
      maxQueuedBytes: 64 * 1024 * 1024,
    });
  });

  it('infers the transport from command or url', () => {
    assert.equal(server({ command: 'x' }).transport, 'stdio');
    assert.equal(server({ url: 'https://example.com/mcp' }).transport, 'http');
  });

  it('maps type and its aliases to a transport', () => {
    assert.equal(server({ type: 'stdio', command: 'x' }).transport, 'stdio');
    assert.equal(server({ type: 'http', url: 'https://e.com' }).transport, 'http');
    assert.equal(server({ type: 'sse', url: 'https://e.com' }).transport, 'sse');
    assert.equal(server({ type: 'streamable-http', url: 'https://e.com' }).transport, 'http');
    assert.equal(server({ type: 'streamableHttp', url: 'https://e.com' }).transport, 'http');
  });

  it('keeps explicit values', () => {
    const d = server({
      command: 'x',
      args: ['a'],
      env: { A: '1' },
      disabled: true,
      autoStart: 'lazy',
      sharing: 'per-session',
      tools: { enabled: ['t1'], disabled: ['t2'] },
      resourceLimits: { maxRestarts: 3 },
    });
    assert.deepEqual([d.args, d.env, d.disabled, d.autoStart, d.sharing, d.tools, d.maxRestarts], [['a'], { A: '1' }, true, 'lazy', 'per-session', { enabled: ['t1'], disabled: ['t2'] }, 3]);
    assert.equal(server({ command: 'x', autoStart: false }).autoStart, false);
  });

  it('reads the request deadline and the per-server message and queue limits', () => {
    const d = server({ command: 'x', requestTimeout: '30s', resourceLimits: { maxMessageSize: '1M', maxQueueSize: 2 } });
    assert.deepEqual([d.requestTimeoutMs, d.maxMessageBytes, d.maxQueuedBytes], [30_000, 1024 * 1024, 2 * 1024 * 1024]);
    assert.throws(() => parseConfig('{"mcpServers":{"s":{"command":"x","resourceLimits":{"maxQueueSize":"0M"}}}}', FILE), (e: Error) => /mcpServers\.s\.resourceLimits\.maxQueueSize: must be more than 0/.test(e.message));
    assert.throws(() => parseConfig('{"mcpServers":{"s":{"command":"x","requestTimeout":0}}}', FILE), (e: Error) => /mcpServers\.s\.requestTimeout: must be more than 0/.test(e.message));
  });

  it('uses portBase as the port, and port over portBase', () => {
    assert.equal(parseConfig('{"settings":{"portBase":19200}}', FILE).settings.port, 19200);
    assert.equal(parseConfig('{"settings":{"port":19300}}', FILE).settings.port, 19300);
    const both = parseConfig('{"settings":{"port":19300,"portBase":19200}}', FILE);
    assert.equal(both.settings.port, 19300);
    assert.deepEqual(both.warnings.map((w) => w.path), ['settings.portBase']);
  });

  it('reads the other settings', () => {
    const s = parseConfig('{"settings":{"logLevel":"debug","shellEnv":false,"stopGrace":"2s","persistSecrets":true}}', FILE).settings;
    assert.deepEqual(s, { port: 19100, logLevel: 'debug', shellEnv: false, stopGraceMs: 2000, maxMessageBytes: 32 * 1024 * 1024, maxSessions: 1000, sessionIdleTimeoutMs: 3_600_000, syncClients: 'auto', persistSecrets: true });
  });

  it('reads which clients to sync, and names a client it does not know', () => {
    assert.deepEqual(parseConfig('{"settings":{"syncClients":["claude","codex"]}}', FILE).settings.syncClients, ['claude', 'codex']);
    assert.deepEqual(parseConfig('{"settings":{"syncClients":[]}}', FILE).settings.syncClients, []);
    assert.equal(parseConfig('{"settings":{"syncClients":"auto"}}', FILE).settings.syncClients, 'auto');
    assert.throws(() => parseConfig('{"settings":{"syncClients":["claude","emacs"]}}', FILE), (e: Error) => /settings\.syncClients/.test(e.message));
  });

  it('reads the session and message limits', () => {
    const s = parseConfig('{"settings":{"maxMessageSize":"1M","maxSessions":5,"sessionIdleTimeout":"10m"}}', FILE).settings;
    assert.deepEqual([s.maxMessageBytes, s.maxSessions, s.sessionIdleTimeoutMs], [1024 * 1024, 5, 600_000]);
  });

  it("resolves roots against the config file's folder", () => {
    assert.deepEqual(server({ command: 'x', roots: ['proj', '/abs'] }).roots, [path.join(path.dirname(FILE), 'proj'), path.resolve('/abs')]);
  });

  it("resolves a relative cwd against the config file's folder", () => {
    assert.equal(server({ command: 'x', cwd: 'sub/dir' }).cwd, path.join(path.dirname(FILE), 'sub', 'dir'));
    assert.equal(server({ command: 'x', cwd: '../up' }).cwd, path.join(path.dirname(path.dirname(FILE)), 'up'));
    assert.equal(server({ command: 'x', cwd: '/abs/dir' }).cwd, path.resolve('/abs/dir'));
    assert.equal(server({ command: 'x', cwd: '~/proj' }).cwd, path.join(process.env.HOME ?? '', 'proj'));
  });

  it('resolves a relative config file path before taking its folder', () => {
    const d = parseConfig('{"mcpServers":{"s":{"command":"x","cwd":"w"}}}', 'config.jsonc').servers[0];
    assert.equal(d.cwd, path.resolve('w'));
  });

  it('normalizes durations', () => {
    const d = server({ command: 'x', idleTimeout: '30s', startupTimeout: 1500, resourceLimits: { restartDelay: '5m' } });
    assert.equal(d.idleTimeoutMs, 30_000);
    assert.equal(d.startupTimeoutMs, 1500);
    assert.equal(d.restartDelayMs, 300_000);
    assert.equal(server({ command: 'x', idleTimeout: '250ms' }).idleTimeoutMs, 250);
    assert.equal(server({ command: 'x', idleTimeout: '1h' }).idleTimeoutMs, 3_600_000);
  });

  it('normalizes sizes to bytes (a number is MB)', () => {
    assert.equal(server({ command: 'x', resourceLimits: { maxMemory: '512M' } }).maxMemoryBytes, 512 * 1024 * 1024);
    assert.equal(server({ command: 'x', resourceLimits: { maxMemory: '1G' } }).maxMemoryBytes, 1024 ** 3);
    assert.equal(server({ command: 'x', resourceLimits: { maxMemory: 256 } }).maxMemoryBytes, 256 * 1024 * 1024);
    assert.equal(server({ command: 'x', resourceLimits: { maxMemory: '300MB' } }).maxMemoryBytes, 300 * 1024 * 1024);
    assert.equal('maxMemoryBytes' in server({ command: 'x' }), false);
  });

  it('passes url and headers through for remote servers', () => {
    const d = server({ url: 'https://e.com/mcp', headers: { 'X-Key': 'v' } });
    assert.equal(d.url, 'https://e.com/mcp');
    assert.deepEqual(d.headers, { 'X-Key': 'v' });
    assert.equal('command' in d, false);
  });

  it('keeps unknown-key warnings and drops the keys', () => {
    const c = parseConfig('{"globalShortcut":"x","mcpServers":{"a":{"command":"x","foo":1}}}', FILE);
    assert.deepEqual(c.warnings.map((w) => w.path), ['globalShortcut', 'mcpServers.a.foo']);
    assert.equal('foo' in c.servers[0], false);
  });

  it('throws CONFIG_INVALID naming file, line, column and key path', () => {
    const text = '{\n  "mcpServers": {\n    "github": { "command": "x", "args": "--foo" }\n  }\n}';
    const err = parseError(text);
    assert.equal(err.code, 'CONFIG_INVALID');
    assert.equal(err.message, `${FILE}:3:41 mcpServers.github.args: expected an array of strings`);
    const problems = (err.details as { problems: unknown[] }).problems;
    assert.deepEqual(problems, [{ path: 'mcpServers.github.args', message: 'expected an array of strings', line: 3, column: 41, file: FILE }]);
  });

  it('says how many more problems there are and lists them all in details', () => {
    const text = '{\n  "settings": { "port": 0 },\n  "mcpServers": {\n    "a": { "command": "x", "autoStart": "yes" },\n    "b": { "url": "ftp://x" }\n  }\n}';
    const err = parseError(text);
    assert.ok(err.message.startsWith(`${FILE}:2:25 settings.port: `), err.message);
    assert.ok(err.message.endsWith(' (and 2 more problems)'), err.message);
    const problems = (err.details as { problems: Array<{ path: string; file: string }> }).problems;
    assert.deepEqual(problems.map((p) => p.path), ['settings.port', 'mcpServers.a.autoStart', 'mcpServers.b.url']);
    assert.ok(problems.every((p) => p.file === FILE));
  });

  it('uses the singular for one more problem', () => {
    const err = parseError('{"mcpServers":{"a":{"command":"x","autoStart":"yes","sharing":"all"}}}');
    assert.ok(err.message.endsWith(' (and 1 more problem)'), err.message);
  });

  it('reports a JSON syntax error without a key path', () => {
    const err = parseError('{\n  "mcpServers": {\n    "a": { "command": "x" }\n    "b": {}\n  }\n}');
    assert.ok(err.message.startsWith(`${FILE}:4:5 invalid JSON: ',' expected`), err.message);
  });
});

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-unit-'));
  });
  afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('gives an empty config for a missing file', async () => {
    const file = path.join(dir, 'config.jsonc');
    const c = await loadConfig(file);
    assert.deepEqual(c.servers, []);
    assert.equal(c.settings.port, 19100);
    assert.equal(c.path, file);
  });

  it('reads and normalizes an existing file', async () => {
    const file = path.join(dir, 'config.jsonc');
    fs.writeFileSync(file, '// mine\n{"mcpServers":{"a":{"command":"node","cwd":"work"}}}\n');
    const c = await loadConfig(file);
    assert.deepEqual(c.servers.map((d) => [d.name, d.command, d.cwd]), [['a', 'node', path.join(dir, 'work')]]);
  });

  it('throws CONFIG_INVALID for an invalid file', async () => {
    const file = path.join(dir, 'config.jsonc');
    fs.writeFileSync(file, '{"mcpServers":{"a":{}}}');
    await assert.rejects(loadConfig(file), (err: unknown) => err instanceof SharedMcpError && err.code === 'CONFIG_INVALID' && err.message.startsWith(`${file}:1:16 mcpServers.a: `));
  });

  it('throws CONFIG_INVALID when the path cannot be read', async () => {
    await assert.rejects(loadConfig(dir), (err: unknown) => err instanceof SharedMcpError && err.code === 'CONFIG_INVALID' && err.message.startsWith(`cannot read ${dir}`));
  });
});

describe('diffServers', () => {
  const defs = (servers: Record<string, Record<string, unknown>>): ServerDefinition[] => parseConfig(JSON.stringify({ mcpServers: servers }), FILE).servers;

  it('finds added, removed and changed servers and leaves unchanged ones out', () => {
    const before = defs({ keep: { command: 'a' }, gone: { command: 'b' }, edit: { command: 'c', args: ['1'] } });
    const after = defs({ keep: { command: 'a' }, edit: { command: 'c', args: ['2'] }, fresh: { url: 'https://e.com' } });
    assert.deepEqual(diffServers(before, after), { added: ['fresh'], removed: ['gone'], changed: ['edit'] });
  });

  it('is empty for identical configs', () => {
    const a = defs({ x: { command: 'a', env: { K: 'v' } }, y: { url: 'https://e.com' } });
    const b = defs({ x: { command: 'a', env: { K: 'v' } }, y: { url: 'https://e.com' } });
    assert.deepEqual(diffServers(a, b), { added: [], removed: [], changed: [] });
  });

  it('counts a changed limit or disabled flag as a change', () => {
    const a = defs({ x: { command: 'a' }, y: { command: 'b' } });
    const b = defs({ x: { command: 'a', resourceLimits: { maxMemory: '1G' } }, y: { command: 'b', disabled: true } });
    assert.deepEqual(diffServers(a, b).changed, ['x', 'y']);
  });

  it('does not count reordered env or header keys as a change (regression)', () => {
    const a = defs({ x: { command: 'a', env: { A: '1', B: '2' } }, y: { url: 'https://e.com', headers: { H: '1', G: '2' } } });
    const b = defs({ x: { command: 'a', env: { B: '2', A: '1' } }, y: { url: 'https://e.com', headers: { G: '2', H: '1' } } });
    assert.deepEqual(diffServers(a, b).changed, []);
  });
});
