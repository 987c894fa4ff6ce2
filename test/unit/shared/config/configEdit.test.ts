import { strict as assert } from 'node:assert';
import { parse } from 'jsonc-parser';
import { addServerToConfig, serverEntryFor, splitCommandLine } from '../../../../src/shared/config/configEdit';
import { parseConfig } from '../../../../src/shared/config/loadConfig';

describe('configEdit', () => {
  const withComments = [
    '// my servers',
    '{',
    '  "mcpServers": {',
    '    // the one I use most',
    '    "github": { "command": "npx", "args": ["-y", "gh-mcp"] }, // trailing',
    '  },',
    '  "settings": { "port": 19100 }',
    '}',
    '',
  ].join('\n');

  it('adds a server and keeps every comment and the rest of the file', () => {
    const out = addServerToConfig(withComments, 'memory', { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory'] });
    for (const kept of ['// my servers', '// the one I use most', '// trailing', '"settings": { "port": 19100 }']) assert.ok(out.includes(kept), `lost: ${kept}`);
    const servers = parseConfig(out, '/tmp/config.jsonc').servers.map((s) => s.name);
    assert.deepEqual(servers.sort(), ['github', 'memory']);
  });

  it('keeps CRLF line endings', () => {
    const crlf = withComments.replace(/\n/g, '\r\n');
    const out = addServerToConfig(crlf, 'memory', { command: 'x' });
    assert.ok(!/[^\r]\n/.test(out), 'a bare LF crept in');
  });

  it('creates mcpServers in an empty file or one without it', () => {
    assert.deepEqual(parse(addServerToConfig('', 'a', { command: 'x' })), { mcpServers: { a: { command: 'x' } } });
    assert.deepEqual(parse(addServerToConfig('{ "settings": {} }', 'a', { command: 'x' })), { settings: {}, mcpServers: { a: { command: 'x' } } });
  });

  it('refuses a file that does not parse, a taken name and an invalid name, with one clear line each', () => {
    assert.throws(() => addServerToConfig('{ "mcpServers": { ', 'a', { command: 'x' }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /does not parse/.test(e.message) && !e.message.includes('\n'));
    assert.throws(() => addServerToConfig(withComments, 'github', { command: 'x' }), (e: Error & { code?: string }) => e.code === 'SERVER_EXISTS' && /github/.test(e.message));
    assert.throws(() => addServerToConfig(withComments, 'no spaces', { command: 'x' }), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID');
  });

  it('splits command lines with quotes and escapes', () => {
    assert.deepEqual(splitCommandLine('npx -y @scope/pkg --dir "/tmp/my dir"'), ['npx', '-y', '@scope/pkg', '--dir', '/tmp/my dir']);
    assert.deepEqual(splitCommandLine(`python -c 'print("hi")'`), ['python', '-c', 'print("hi")']);
    assert.deepEqual(splitCommandLine('a\\ b ""'), ['a b', '']);
    assert.throws(() => splitCommandLine('echo "open'), /unclosed/);
  });

  it('turns a URL into a remote server and anything else into a command', () => {
    assert.deepEqual(serverEntryFor('https://example.com/mcp'), { type: 'http', url: 'https://example.com/mcp' });
    assert.deepEqual(serverEntryFor('uvx mcp-server-fetch'), { command: 'uvx', args: ['mcp-server-fetch'] });
    assert.deepEqual(serverEntryFor('my-server'), { command: 'my-server' });
  });
});
