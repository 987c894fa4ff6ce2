// The VS Code test lane: runs out/test/vscode/index.js (a mocha suite) inside a real VS Code extension host.
// Here that host is code-server (VS Code 1.139 in a browser tab, driven by playwright-core and Debian's chromium),
// because @vscode/test-electron downloads VS Code at run time and these machines have no internet. On a machine
// that has it, SHARED_MCP_VSCODE_LANE=electron runs the same suite through @vscode/test-electron.
// By default the extension under test is the packaged one: `npm run package`, then the .vsix installed into
// code-server as a user would; `--dev` loads it from the working tree instead (faster while iterating).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { format } from 'node:util';
import { checkPrerequisites, cleanUp, installVsix, launchChromium, makeSandbox, packagedVsix, root, startCodeServer } from './codeServer.mjs';

const testsIndex = path.join(root, 'out', 'test', 'vscode', 'index.js');
const RUN_TIMEOUT_MS = Number(process.env.SHARED_MCP_VSCODE_TIMEOUT_MS || 300_000);
// Lines of the workbench itself: tagged ("[AgentHost] …"), or its connection and cache steps.
const NOISE = /^\[[A-Za-z][\w :./-]*\]|^(Resolving connection token|Resolved connection token|Creating a socket|Updating additional builtin)|authentication provider|api\.github\.com|open-vsx|marketplace|ENOTFOUND|ERR_NAME_NOT_RESOLVED/i;

function fail(message) {
  console.error(`test:vscode: ${message}`);
  process.exit(1);
}

if (!existsSync(testsIndex)) fail(`missing the compiled suite (run \`npm run pretest\`, or \`npm test\`): ${testsIndex}`);

if (process.env.SHARED_MCP_VSCODE_LANE === 'electron') {
  const { runTests } = await import('@vscode/test-electron');
  const sandbox = makeSandbox();
  try {
    await runTests({ extensionDevelopmentPath: root, extensionTestsPath: testsIndex, extensionTestsEnv: sandbox.env, launchArgs: ['--disable-extensions', '--disable-workspace-trust', `--user-data-dir=${sandbox.dirs.userData}`, `--extensions-dir=${sandbox.dirs.extensions}`, sandbox.dirs.workspace] });
    cleanUp(sandbox);
    process.exit(0);
  } catch (e) {
    cleanUp(sandbox);
    fail(`the @vscode/test-electron lane failed: ${e.message}`);
  }
}

try {
  checkPrerequisites();
} catch (e) {
  fail(e.message);
}

const fromVsix = !process.argv.includes('--dev');
const sandbox = makeSandbox();
let server;
let browser;
let exitCode = 1;
try {
  const extensionPath = fromVsix ? installPackaged() : root;
  console.log(`test:vscode: the extension from ${fromVsix ? `its .vsix, installed at ${extensionPath}` : 'the working tree'}`);
  server = await startCodeServer(sandbox);
  browser = await launchChromium(sandbox);
  const page = await browser.newPage();
  const done = new Promise((resolve) => {
    void page.exposeFunction('codeAutomationLog', (type, args) => printLog(type, args));
    void page.exposeFunction('codeAutomationExit', (code) => resolve(Number(code)));
  });
  const remote = (p) => `vscode-remote://127.0.0.1:${server.port}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(extensionPath)],
    ['extensionTestsPath', remote(testsIndex)],
  ];
  await page.goto(`http://127.0.0.1:${server.port}/?folder=${encodeURIComponent(sandbox.dirs.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  let timer;
  const timeout = new Promise((resolve) => (timer = setTimeout(() => resolve('timeout'), RUN_TIMEOUT_MS)));
  const result = await Promise.race([done, timeout]);
  clearTimeout(timer);
  if (result === 'timeout') console.error(`test:vscode: the suite did not finish within ${RUN_TIMEOUT_MS / 1000} s; code-server said:\n${server.output().slice(-4000)}`);
  else exitCode = result;
} catch (e) {
  console.error(`test:vscode: ${e.message}`);
} finally {
  await browser?.close().catch(() => {});
  cleanUp(sandbox, server);
}
process.exit(exitCode);

/** Packages the extension and installs the .vsix into the sandbox; returns where code-server unpacked it. */
function installPackaged() {
  const packaged = spawnSync('npm', ['run', 'package'], { cwd: root, encoding: 'utf8' });
  if (packaged.status !== 0) throw new Error(`npm run package failed:\n${(packaged.stderr || packaged.stdout).slice(-2000)}`);
  const vsix = packagedVsix();
  if (!existsSync(vsix)) throw new Error(`npm run package did not write ${vsix}`);
  installVsix(sandbox, vsix);
  const dir = readdirSync(sandbox.dirs.extensions).find((d) => d.startsWith('shared-mcp.shared-mcp-'));
  if (!dir) throw new Error(`the .vsix installed nothing into ${sandbox.dirs.extensions}`);
  return path.join(sandbox.dirs.extensions, dir);
}

/** What the workbench forwards from the extension host; mocha's reporter prints with format strings ("%d passing"). */
function printLog(type, args) {
  const text = format(...(Array.isArray(args) ? args : [args]));
  if (process.env.SHARED_MCP_VSCODE_DEBUG) process.stdout.write(`[${type}] `);
  else if (NOISE.test(text)) return;
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}
