import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import { FIXTURES, TestHome, fixture } from '../../helpers/hostHarness';

describe('login shell environment (real host)', function () {
  let t: TestHome | undefined;
  afterEach(async () => {
    await t?.dispose();
    t = undefined;
  });

  const server = fixture('fixtureServer.js', { env: { FROM_SHELL: '${env:SHARED_MCP_FROM_LOGIN_SHELL}' } });

  it("gives servers the environment of the user's login shell", async () => {
    t = await TestHome.create({ echo: server });
    t.extraEnv = { SHELL: path.join(FIXTURES, 'fakeLoginShell.sh'), SHARED_MCP_SHELL_ENV: '1' };
    const up = await t.cli(['up']);
    assert.equal(up.code, 0, up.stdout + up.stderr);
    assert.equal((await t.server('echo')).state, 'running');
  });

  it('uses only the host environment when settings.shellEnv is false, and says which variable is missing', async () => {
    t = await TestHome.create({ echo: server }, { shellEnv: false });
    t.extraEnv = { SHELL: path.join(FIXTURES, 'fakeLoginShell.sh'), SHARED_MCP_SHELL_ENV: '1' };
    const up = await t.cli(['up']);
    assert.equal(up.code, 1);
    const s = await t.server('echo');
    assert.equal(s.state, 'failed');
    assert.equal(s.lastError, "mcpServers.echo.env.FROM_SHELL: ${env:SHARED_MCP_FROM_LOGIN_SHELL} is not set in the host's environment");
  });
});
