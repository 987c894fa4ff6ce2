import { strict as assert } from 'node:assert';
import { interpolateEnv, interpolateHeaders, missingSecrets, secretRefs, type SecretLookup } from '../../../../src/host/supervisor/serverEnv';
import { parseConfig } from '../../../../src/shared/config/loadConfig';
import type { ServerDefinition } from '../../../../src/shared/config/configTypes';
import { SharedMcpError } from '../../../../src/shared/errors';

const none: SecretLookup = () => undefined;
const store = (values: Record<string, string>): SecretLookup => (name) => values[name];

function def(env: Record<string, string>, name = 'github'): ServerDefinition {
  return parseConfig(JSON.stringify({ mcpServers: { [name]: { command: 'x', env } } }), '/tmp/config.jsonc').servers[0];
}

describe('interpolateEnv', () => {
  it('returns the base environment plus the server env', () => {
    const base = { PATH: '/bin', HOME: '/home/u' };
    const env = interpolateEnv(def({ MODE: 'fast' }), base, none);
    assert.deepEqual(env, { PATH: '/bin', HOME: '/home/u', MODE: 'fast' });
  });

  it('does not modify the base environment', () => {
    const base = { PATH: '/bin' };
    interpolateEnv(def({ PATH: '/usr/bin' }), base, none);
    assert.deepEqual(base, { PATH: '/bin' });
  });

  it('lets the server env override the base', () => {
    assert.equal(interpolateEnv(def({ PATH: '/opt/bin' }), { PATH: '/bin' }, none).PATH, '/opt/bin');
  });

  it('resolves ${env:NAME} from the base', () => {
    const env = interpolateEnv(def({ GITHUB_TOKEN: '${env:GH_TOKEN}' }), { GH_TOKEN: 'secret123' }, none);
    assert.equal(env.GITHUB_TOKEN, 'secret123');
  });

  it('resolves several references inside one value', () => {
    const env = interpolateEnv(def({ URL: 'https://${env:USER_NAME}:${env:PASS}@h/${env:USER_NAME}' }), { USER_NAME: 'me', PASS: 'pw' }, none);
    assert.equal(env.URL, 'https://me:pw@h/me');
  });

  it('resolves a set but empty variable to the empty string', () => {
    assert.equal(interpolateEnv(def({ A: 'x${env:EMPTY}y' }), { EMPTY: '' }, none).A, 'xy');
  });

  it('takes references from the base, not from other server env entries', () => {
    assert.throws(() => interpolateEnv(def({ A: 'one', B: '${env:A}' }), {}, none), (err: unknown) => err instanceof SharedMcpError && err.code === 'CONFIG_INVALID');
    assert.equal(interpolateEnv(def({ A: 'one', B: '${env:A}' }), { A: 'base' }, none).B, 'base');
  });

  it('leaves text that is not a reference alone', () => {
    const env = interpolateEnv(def({ A: '$HOME', B: '${HOME}', C: '${env:}', D: '${env:1X}' }), { HOME: '/h' }, none);
    assert.deepEqual([env.A, env.B, env.C, env.D], ['$HOME', '${HOME}', '${env:}', '${env:1X}']);
  });

  it('throws CONFIG_INVALID naming the server, key and variable when it is unset', () => {
    assert.throws(
      () => interpolateEnv(def({ GITHUB_TOKEN: '${env:GH_TOKEN}' }), { PATH: '/bin' }, none),
      (err: unknown) => {
        assert.ok(err instanceof SharedMcpError);
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.equal(err.message, "mcpServers.github.env.GITHUB_TOKEN: ${env:GH_TOKEN} is not set in the host's environment");
        return true;
      },
    );
  });

  it('quotes a dotted server name in the reported key path (regression)', () => {
    assert.throws(() => interpolateEnv(def({ TOKEN: '${env:NOPE_XYZ}' }, 'my.server'), {}, none), (e: SharedMcpError) => e.message.startsWith('mcpServers["my.server"].env.TOKEN: ${env:NOPE_XYZ} is not set'));
  });

  it('resolves ${env:NAME} in a remote server\'s headers, and names an unset one', () => {
    const remote = parseConfig(JSON.stringify({ mcpServers: { api: { url: 'https://e.com/mcp', headers: { Authorization: 'Bearer ${env:API_TOKEN}' } } } }), '/tmp/config.jsonc').servers[0];
    assert.deepEqual(interpolateHeaders(remote, { API_TOKEN: 't0k' }, none), { Authorization: 'Bearer t0k' });
    assert.throws(() => interpolateHeaders(remote, {}, none), (e: SharedMcpError) => e.code === 'CONFIG_INVALID' && e.message.startsWith('mcpServers.api.headers.Authorization: ${env:API_TOKEN} is not set'));
  });
});

describe('${secret:NAME} references', () => {
  const remote = (headers: Record<string, string>, env: Record<string, string> = {}): ServerDefinition =>
    parseConfig(JSON.stringify({ mcpServers: { api: { url: 'https://e.com/mcp', headers, env } } }), '/tmp/config.jsonc').servers[0];

  it('resolves ${secret:NAME} in env from the secret store, next to ${env:NAME} in the same value', () => {
    const env = interpolateEnv(def({ TOKEN: '${secret:GITHUB_TOKEN}', URL: 'https://${env:USER_NAME}:${secret:db.pass-1}@h' }), { USER_NAME: 'me' }, store({ GITHUB_TOKEN: 'ghp_1', 'db.pass-1': 'pw' }));
    assert.equal(env.TOKEN, 'ghp_1');
    assert.equal(env.URL, 'https://me:pw@h');
  });

  it('resolves ${secret:NAME} in headers', () => {
    assert.deepEqual(interpolateHeaders(remote({ Authorization: 'Bearer ${secret:API_KEY}' }), {}, store({ API_KEY: 'k3y' })), { Authorization: 'Bearer k3y' });
  });

  it('never reads a value it put in for references again (a value may contain ${...})', () => {
    const env = interpolateEnv(def({ A: '${secret:S}', B: '${env:E}' }), { E: '${secret:S}' }, store({ S: '${env:E}' }));
    assert.deepEqual([env.A, env.B], ['${env:E}', '${secret:S}']);
  });

  it('leaves text that is not a secret reference alone', () => {
    const env = interpolateEnv(def({ A: '${secret:}', B: '${secret:1X}', C: '${secret:a b}', D: '${SECRET:X}' }), {}, none);
    assert.deepEqual([env.A, env.B, env.C, env.D], ['${secret:}', '${secret:1X}', '${secret:a b}', '${SECRET:X}']);
  });

  it('lists the names a server refers to in env and headers, sorted and once each', () => {
    assert.deepEqual(secretRefs(remote({ Authorization: 'Bearer ${secret:B}', X: '${secret:A}${secret:B}' }, { Y: '${secret:C}', Z: '${env:HOME}' })), ['A', 'B', 'C']);
    assert.deepEqual(secretRefs(def({ PLAIN: 'x' })), []);
  });

  it('reports every missing secret of the server together (env and headers), with SECRET_MISSING and names only', () => {
    const d = remote({ Authorization: 'Bearer ${secret:TOKEN_B}' }, { A: '${secret:TOKEN_A}', C: '${secret:SET_ONE}', D: '${secret:TOKEN_A}' });
    const secrets = store({ SET_ONE: 'value-that-must-not-show' });
    assert.deepEqual(missingSecrets(d, secrets), ['TOKEN_A', 'TOKEN_B']);
    for (const call of [() => interpolateEnv(d, {}, secrets), () => interpolateHeaders(d, {}, secrets)]) {
      assert.throws(call, (e: unknown) => {
        assert.ok(e instanceof SharedMcpError);
        assert.equal(e.code, 'SECRET_MISSING');
        assert.deepEqual(e.details, { names: ['TOKEN_A', 'TOKEN_B'] });
        assert.equal(e.message, 'missing secrets: TOKEN_A, TOKEN_B (set them with `shared-mcp secret set <NAME>` or "Shared MCP: Set Secret…" in VS Code)');
        assert.doesNotMatch(e.message, /value-that-must-not-show/);
        return true;
      });
    }
  });

  it('names the one missing secret in the command to run', () => {
    assert.throws(() => interpolateEnv(def({ T: '${secret:GITHUB_TOKEN}' }), {}, none), (e: SharedMcpError) => e.message === 'missing secret: GITHUB_TOKEN (set it with `shared-mcp secret set GITHUB_TOKEN` or "Shared MCP: Set Secret…" in VS Code)');
  });

  it('checks secrets before ${env:NAME}: a server lacking both waits for the secret first', () => {
    assert.throws(() => interpolateEnv(def({ A: '${env:NOPE_XYZ}', B: '${secret:S}' }), {}, none), (e: SharedMcpError) => e.code === 'SECRET_MISSING');
  });
});
