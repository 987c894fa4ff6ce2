// `npm run screenshots`: the real UI, captured from code-server in Debian's chromium into docs/images/. The
// extension is packaged (`npm run package`) and installed from its .vsix, as a user would; it starts the host,
// which runs servers chosen to show several states.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { checkPrerequisites, cleanUp, installVsix, launchChromium, makeSandbox, packagedVsix, root, startCodeServer } from './codeServer.mjs';

const out = path.join(root, 'docs', 'images');
const cli = path.join(root, 'dist', 'cli.js');
const fixtures = path.join(root, 'test', 'fixtures');
const STATES_TIMEOUT_MS = 90_000;

function die(message) {
  console.error(`screenshots: ${message}`);
  process.exit(1);
}

try {
  checkPrerequisites();
} catch (e) {
  die(e.message);
}
const packaged = spawnSync('npm', ['run', 'package'], { cwd: root, encoding: 'utf8' });
if (packaged.status !== 0) die(`npm run package failed:\n${(packaged.stderr || packaged.stdout).slice(-2000)}`);
const vsix = packagedVsix();
if (!existsSync(vsix)) die(`npm run package did not write ${vsix}`);

const sandbox = makeSandbox();
const node = process.execPath;
const config = {
  mcpServers: {
    everything: { command: node, args: [path.join(root, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js'), 'stdio'] },
    memory: { command: node, args: [path.join(root, 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js')], env: { MEMORY_FILE_PATH: path.join(sandbox.tmp, 'memory.json') } },
    echo: { command: node, args: [path.join(fixtures, 'fixtureServer.js')] },
    notes: { command: node, args: [path.join(fixtures, 'fixtureServer.js')], autoStart: 'lazy' },
    paused: { command: node, args: [path.join(fixtures, 'fixtureServer.js')] },
    broken: { command: node, args: ['-e', "console.error('fatal: no API key'); process.exit(1)"], maxRestarts: 0 },
  },
};
mkdirSync(sandbox.dirs.sharedMcpHome, { recursive: true });
writeFileSync(path.join(sandbox.dirs.sharedMcpHome, 'config.jsonc'), JSON.stringify(config, null, 2));

let server;
let browser;
let failure;
try {
  installVsix(sandbox, vsix);
  server = await startCodeServer(sandbox);
  browser = await launchChromium(sandbox);
  const page = await browser.newPage({ viewport: { width: 1400, height: 820 } });
  await page.goto(`http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(sandbox.dirs.workspace)}`);
  await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
  // The extension starts the host on start-up; wait for the states we want to show.
  await waitForStates((s) => s.everything === 'running' && s.memory === 'running' && s.echo === 'running' && s.paused === 'running' && (s.broken === 'crashed' || s.broken === 'failed'));
  spawnSync(node, [cli, 'down', 'paused'], { env: sandbox.env, timeout: 30_000 });
  await waitForStates((s) => s.paused === 'stopped');

  await page.locator('.activitybar [aria-label^="Shared MCP"]').first().click();
  await page.locator('.monaco-list-row', { hasText: 'everything' }).first().waitFor({ timeout: 30_000 });
  // Expand one server to show its tools and clients.
  await page.locator('.monaco-list-row', { hasText: 'memory' }).first().click();
  await page.keyboard.press('ArrowRight');
  await page.waitForTimeout(1500);
  mkdirSync(out, { recursive: true });
  await page.screenshot({ path: path.join(out, 'servers-view.png') });
  await page.locator('#workbench\\.parts\\.statusbar').screenshot({ path: path.join(out, 'status-bar.png') });
  await page.locator('.statusbar-item', { hasText: 'MCP' }).first().click();
  await page.locator('.quick-input-widget').waitFor({ state: 'visible', timeout: 10_000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: path.join(out, 'quick-pick.png') });
  console.log(`screenshots: wrote servers-view.png, status-bar.png and quick-pick.png to ${path.relative(process.cwd(), out)}`);
} catch (e) {
  failure = `${e.message}${server ? `\ncode-server said:\n${server.output().slice(-2000)}` : ''}`;
} finally {
  await browser?.close().catch(() => {});
  cleanUp(sandbox, server);
}
if (failure) die(failure);

async function waitForStates(ok) {
  const until = Date.now() + STATES_TIMEOUT_MS;
  let last = {};
  while (Date.now() < until) {
    const r = spawnSync(node, [cli, 'status', '--json'], { env: sandbox.env, encoding: 'utf8', timeout: 20_000 });
    try {
      last = Object.fromEntries(JSON.parse(r.stdout).servers.map((s) => [s.name, s.state]));
      if (ok(last)) return;
    } catch {}
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new Error(`the servers did not reach the states to show within ${STATES_TIMEOUT_MS / 1000} s: ${JSON.stringify(last)}`);
}
