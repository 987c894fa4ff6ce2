import { strict as assert } from 'node:assert';
import * as os from 'node:os';
import { normalizeServer, type Normalized } from '../../../../src/client/import/normalizeServer';
import type { FoundServer } from '../../../../src/client/import/readClientServers';

const found = (raw: Record<string, unknown>, extra: Partial<FoundServer> = {}): FoundServer => ({ source: 'claude', scope: 'user', file: '/home/me/.claude.json', name: 'github', raw, ...extra });
const entry = (n: Normalized): Record<string, unknown> => {
  if ('skip' in n) throw new Error(`skipped: ${n.skip}`);
  return n.entry;
};

describe('normalizeServer: a client entry as a Shared MCP server', () => {
  it('keeps command, args and env; drops what Shared MCP does not use (type: stdio)', () => {
    assert.deepEqual(entry(normalizeServer(found({ type: 'stdio', command: 'npx', args: ['-y', 'pkg'], env: { MODE: 'fast' } }))), { command: 'npx', args: ['-y', 'pkg'], env: { MODE: 'fast' } });
  });

  it('unwraps cmd /c (Windows configs)', () => {
    assert.deepEqual(entry(normalizeServer(found({ command: 'cmd', args: ['/c', 'npx', '-y', 'pkg'] }))), { command: 'npx', args: ['-y', 'pkg'] });
    assert.deepEqual(entry(normalizeServer(found({ command: 'C:\\Windows\\System32\\cmd.exe', args: ['/C', 'uvx', 'tool'] }))), { command: 'uvx', args: ['tool'] });
  });

  it('keeps env references as references, in our syntax, per client', () => {
    const claude = normalizeServer(found({ command: 'x', env: { A: '${GH_TOKEN}', B: 'pre-${HOME}-post', C: '${X:-fallback}' } }));
    assert.deepEqual(entry(claude).env, { A: '${env:GH_TOKEN}', B: 'pre-${env:HOME}-post', C: '${env:X}' });
    assert.ok(!('skip' in claude) && claude.notes.some((n) => n.includes('default is dropped')));
    assert.deepEqual(entry(normalizeServer(found({ command: 'x', env: { A: '$GITHUB_TOKEN', B: '${B}' } }, { source: 'gemini' }))).env, { A: '${env:GITHUB_TOKEN}', B: '${env:B}' });
    assert.deepEqual(entry(normalizeServer(found({ command: 'x', env: { A: '${env:A}' } }, { source: 'cursor' }))).env, { A: '${env:A}' });
    // Codex does not expand anything in env, and passes env_vars through from its own environment.
    assert.deepEqual(entry(normalizeServer(found({ command: 'x', env: { A: '$LITERAL' }, env_vars: ['PATH_EXTRA'] }, { source: 'codex' }))).env, { A: '$LITERAL', PATH_EXTRA: '${env:PATH_EXTRA}' });
  });

  it('turns a VS Code input into a secret of the same id, with a note', () => {
    const n = normalizeServer(found({ type: 'stdio', command: 'x', env: { KEY: '${input:api-key}' } }, { source: 'vscode' }));
    assert.deepEqual(entry(n).env, { KEY: '${secret:api-key}' });
    assert.ok(!('skip' in n) && n.notes[0].includes('Set Secret'));
  });

  it('hands secret-looking literal values to the secret callback (by name or by value), never references', () => {
    const asked: string[] = [];
    const secret = (server: string, key: string): string => {
      asked.push(key);
      return `\${secret:${server}.${key}}`;
    };
    const e = entry(normalizeServer(found({ command: 'x', env: { GITHUB_TOKEN: 'abc', OPENAI_API_KEY: 'k', ANY: 'ghp_0123456789abcdef', MODE: 'fast', REF_TOKEN: '${SOME}', EMPTY_TOKEN: '' } }), { secret }));
    assert.deepEqual(asked, ['GITHUB_TOKEN', 'OPENAI_API_KEY', 'ANY']);
    assert.deepEqual(e.env, { GITHUB_TOKEN: '${secret:github.GITHUB_TOKEN}', OPENAI_API_KEY: '${secret:github.OPENAI_API_KEY}', ANY: '${secret:github.ANY}', MODE: 'fast', REF_TOKEN: '${env:SOME}', EMPTY_TOKEN: '' });
  });

  it('runs a project entry in its project, expanding ${workspaceFolder} and ${userHome}', () => {
    assert.deepEqual(entry(normalizeServer(found({ command: 'x' }, { scope: 'project', project: '/src/app' }))), { command: 'x', cwd: '/src/app' });
    const vs = entry(normalizeServer(found({ command: 'x', args: ['${workspaceFolder}/db.sqlite', '${userHome}/.cfg'], cwd: '${workspaceFolder}/tools' }, { source: 'vscode', scope: 'project', project: '/src/app' })));
    assert.deepEqual(vs, { command: 'x', args: ['/src/app/db.sqlite', `${os.homedir()}/.cfg`], cwd: '/src/app/tools' });
  });

  it('keeps disabled, Codex start-up timeouts and tool filters', () => {
    assert.deepEqual(entry(normalizeServer(found({ command: 'x', enabled: false, startup_timeout_sec: 20, enabled_tools: ['a'], disabled_tools: ['b'] }, { source: 'codex' }))), {
      command: 'x',
      disabled: true,
      startupTimeout: '20s',
      tools: { enabled: ['a'], disabled: ['b'] },
    });
    assert.deepEqual(entry(normalizeServer(found({ command: 'x', disabled: true }, { source: 'cursor' }))).disabled, true);
  });

  it('leaves remote servers, entries of ours, and broken entries where they are, saying why', () => {
    const skip = (n: Normalized): string => ('skip' in n ? n.skip : 'imported');
    assert.match(skip(normalizeServer(found({ type: 'http', url: 'https://api.example.com/mcp' }))), /remote/);
    assert.match(skip(normalizeServer(found({ httpUrl: 'https://x' }, { source: 'gemini' }))), /remote/);
    assert.match(skip(normalizeServer(found({ type: 'http', url: 'http://127.0.0.1:19100/mcp/github', headers: { Authorization: 'Bearer tok' } }), { ourToken: 'tok' })), /already shared/);
    assert.match(skip(normalizeServer(found({ command: '/usr/bin/node', args: ['/home/me/.shared-mcp/runtime/0.1.0/cli.js', 'bridge', 'github'] }, { source: 'claude-desktop' }))), /already shared/);
    assert.match(skip(normalizeServer(found({ args: ['x'] }))), /no command/);
    assert.match(skip(normalizeServer(found({ command: 'x', args: 'not-a-list' }))), /not a list/);
  });
});
