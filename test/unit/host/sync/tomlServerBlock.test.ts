import { strict as assert } from 'node:assert';
import { parse } from 'smol-toml';
import { removeTomlServerBlock, setTomlServerBlock } from '../../../../src/host/sync/tomlServerBlock';

const entry = (token: string, name = 'memory') => ({ url: `http://127.0.0.1:19100/mcp/${name}`, http_headers: { Authorization: `Bearer ${token}` } });

// A realistic ~/.codex/config.toml: settings, comments, a user's own stdio server with env, a profile.
const CODEX = `# Codex settings
model = "o4-mini"
approval_policy = "on-request"

[mcp_servers.github]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-github"]

[mcp_servers.github.env]
GITHUB_TOKEN = "\${GITHUB_TOKEN}"

# profiles below
[profiles.fast]
model = "gpt-4.1-mini" # inline comment
`;

describe('Codex config.toml: our [mcp_servers.<name>] block as a text edit', () => {
  it('appends our table, leaves every other byte, and removing it gives the original back byte for byte', () => {
    const out = setTomlServerBlock(CODEX, 'memory', entry('t1'));
    assert.ok(out.startsWith(CODEX), 'the original text is untouched');
    assert.deepEqual(JSON.parse(JSON.stringify(parse(out).mcp_servers)), {
      github: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-github'], env: { GITHUB_TOKEN: '${GITHUB_TOKEN}' } },
      memory: entry('t1'),
    });
    assert.equal(removeTomlServerBlock(out, 'memory'), CODEX);
  });

  it('replaces a table it wrote before, keeping the comment that introduces the next table', () => {
    const first = setTomlServerBlock(CODEX.replace('# profiles below\n', ''), 'memory', entry('old'));
    const withTail = first.replace('[mcp_servers.github]', '# mine\n[mcp_servers.github]');
    const placed = setTomlServerBlock(withTail.replace(/\n\[mcp_servers\.memory\][\s\S]*$/, '\n'), 'memory', entry('old')) + '\n# the end\n';
    const out = setTomlServerBlock(placed, 'memory', entry('new'));
    assert.equal(out, placed.replace('Bearer old', 'Bearer new'));
    assert.ok(out.includes('# the end'));
  });

  it('keeps CRLF line endings and a BOM', () => {
    const crlf = `\uFEFF${CODEX.replace(/\n/g, '\r\n')}`;
    const out = setTomlServerBlock(crlf, 'memory', entry('t'));
    assert.ok(out.startsWith('\uFEFF'), 'BOM kept');
    assert.ok(!/[^\r]\n/.test(out), 'no bare LF');
    assert.equal(parse(out.slice(1)).model, 'o4-mini');
    assert.equal(removeTomlServerBlock(out, 'memory'), crlf, 'sync then unsync: byte-identical');
  });

  it('quotes a name that is not a bare key', () => {
    const out = setTomlServerBlock('', 'my.server', entry('t', 'my.server'));
    assert.ok(out.startsWith('[mcp_servers."my.server"]'));
    assert.deepEqual(JSON.parse(JSON.stringify(parse(out))), { mcp_servers: { 'my.server': entry('t', 'my.server') } });
    assert.equal(removeTomlServerBlock(out, 'my.server'), '');
  });

  it('refuses, changing nothing: a file that is not TOML, a server defined inline', () => {
    assert.throws(() => setTomlServerBlock('model = \n', 'memory', entry('t')), (e: Error & { code?: string }) => e.code === 'CONFIG_INVALID' && /not valid TOML/.test(e.message));
    const inline = '[mcp_servers]\nmemory = { url = "http://elsewhere" }\n';
    assert.throws(() => setTomlServerBlock(inline, 'memory', entry('t')), /inline or dotted keys/);
  });

  it('replaces a whole table, sub-tables included (whose entry it is, the ledger decides before)', () => {
    const out = setTomlServerBlock(CODEX, 'github', entry('t', 'github'));
    assert.deepEqual(JSON.parse(JSON.stringify(parse(out).mcp_servers)), { github: entry('t', 'github') });
    assert.ok(out.includes('# profiles below') && out.includes('model = "gpt-4.1-mini" # inline comment'));
  });

  it('leaves a file without our table exactly as it was on remove', () => {
    assert.equal(removeTomlServerBlock(CODEX, 'memory'), CODEX);
  });
});
