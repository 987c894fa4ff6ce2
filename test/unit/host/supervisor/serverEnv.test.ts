import { strict as assert } from 'node:assert';
import { interpolateEnv, interpolateHeaders } from '../../../../src/host/supervisor/serverEnv';
import { parseConfig } from '../../../../src/shared/config/loadConfig';
import type { ServerDefinition } from '../../../../src/shared/config/configTypes';
import { SharedMcpError } from '../../../../src/shared/errors';

function def(env: Record<string, string>, name = 'github'): ServerDefinition {
  return parseConfig(JSON.stringify({ mcpServers: { [name]: { command: 'x', env } } }), '/tmp/config.jsonc').servers[0];
}

describe('interpolateEnv', () => {
  it('returns the base environment plus the server env', () => {
    const base = { PATH: '/bin', HOME: '/home/u' };
    const env = interpolateEnv(def({ MODE: 'fast' }), base);
    assert.deepEqual(env, { PATH: '/bin', HOME: '/home/u', MODE: 'fast' });
  });

  it('does not modify the base environment', () => {
    const base = { PATH: '/bin' };
    interpolateEnv(def({ PATH: '/usr/bin' }), base);
    assert.deepEqual(base, { PATH: '/bin' });
  });

  it('lets the server env override the base', () => {
    assert.equal(interpolateEnv(def({ PATH: '/opt/bin' }), { PATH: '/bin' }).PATH, '/opt/bin');
  });

  it('resolves ${env:NAME} from the base', () => {
    const env = interpolateEnv(def({ GITHUB_TOKEN: '${env:GH_TOKEN}' }), { GH_TOKEN: 'secret123' });
    assert.equal(env.GITHUB_TOKEN, 'secret123');
  });

  it('resolves several references inside one value', () => {
    const env = interpolateEnv(def({ URL: 'https://${env:USER_NAME}:${env:PASS}@h/${env:USER_NAME}' }), { USER_NAME: 'me', PASS: 'pw' });
    assert.equal(env.URL, 'https://me:pw@h/me');
  });

  it('resolves a set but empty variable to the empty string', () => {
    assert.equal(interpolateEnv(def({ A: 'x${env:EMPTY}y' }), { EMPTY: '' }).A, 'xy');
  });

  it('takes references from the base, not from other server env entries', () => {
    assert.throws(() => interpolateEnv(def({ A: 'one', B: '${env:A}' }), {}), (err: unknown) => err instanceof SharedMcpError && err.code === 'CONFIG_INVALID');
    assert.equal(interpolateEnv(def({ A: 'one', B: '${env:A}' }), { A: 'base' }).B, 'base');
  });

  it('leaves text that is not a reference alone', () => {
    const env = interpolateEnv(def({ A: '$HOME', B: '${HOME}', C: '${env:}', D: '${env:1X}' }), { HOME: '/h' });
    assert.deepEqual([env.A, env.B, env.C, env.D], ['$HOME', '${HOME}', '${env:}', '${env:1X}']);
  });

  it('throws CONFIG_INVALID naming the server, key and variable when it is unset', () => {
    assert.throws(
      () => interpolateEnv(def({ GITHUB_TOKEN: '${env:GH_TOKEN}' }), { PATH: '/bin' }),
      (err: unknown) => {
        assert.ok(err instanceof SharedMcpError);
        assert.equal(err.code, 'CONFIG_INVALID');
        assert.equal(err.message, "mcpServers.github.env.GITHUB_TOKEN: ${env:GH_TOKEN} is not set in the host's environment");
        return true;
      },
    );
  });

  it('quotes a dotted server name in the reported key path (regression)', () => {
    assert.throws(() => interpolateEnv(def({ TOKEN: '${env:NOPE_XYZ}' }, 'my.server'), {}), (e: SharedMcpError) => e.message.startsWith('mcpServers["my.server"].env.TOKEN: ${env:NOPE_XYZ} is not set'));
  });

  it('resolves ${env:NAME} in a remote server\'s headers, and names an unset one', () => {
    const remote = parseConfig(JSON.stringify({ mcpServers: { api: { url: 'https://e.com/mcp', headers: { Authorization: 'Bearer ${env:API_TOKEN}' } } } }), '/tmp/config.jsonc').servers[0];
    assert.deepEqual(interpolateHeaders(remote, { API_TOKEN: 't0k' }), { Authorization: 'Bearer t0k' });
    assert.throws(() => interpolateHeaders(remote, {}), (e: SharedMcpError) => e.code === 'CONFIG_INVALID' && e.message.startsWith('mcpServers.api.headers.Authorization: ${env:API_TOKEN} is not set'));
  });
});
