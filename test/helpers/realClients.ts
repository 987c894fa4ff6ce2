// The real third-party MCP clients of the acceptance tests (test/clients, its own npm folder): how to check they are
// installed (a missing one fails with the install command, never skips) and how to run them under a test home.
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ROOT, type TestHome } from './hostHarness';

const CLIENTS = path.join(ROOT, 'test', 'clients');
export const CLAUDE = path.join(CLIENTS, 'node_modules', '.bin', 'claude');
/** The two pinned Codex releases, by package (the newest under an npm alias): named by path, as both want .bin/codex. */
export const CODEX_PACKAGE = '@openai/codex';
export const CODEX_NEWEST_PACKAGE = '@openai/codex-0.171';
export const CODEX = codexBin(CODEX_PACKAGE);
export const CODEX_NEWEST = codexBin(CODEX_NEWEST_PACKAGE);
const INSTALL = 'run `npm ci --prefix test/clients`';

function codexBin(pkg: string): string {
  return path.join(CLIENTS, 'node_modules', ...pkg.split('/'), 'bin', 'codex.js');
}

export interface ClientResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The version test/clients/package.json pins for a package (`npm:<name>@<version>` for an alias). */
function wantedVersion(pkgName: string): string {
  const pkg = JSON.parse(readFileSync(path.join(CLIENTS, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  const spec = pkg.dependencies[pkgName];
  if (spec === undefined) throw new Error(`test/clients/package.json does not pin ${pkgName}`);
  return spec.startsWith('npm:') ? spec.slice(spec.lastIndexOf('@') + 1) : spec;
}

/** Fails (never skips) unless test/clients holds the pinned, runnable Claude Code. */
export function assertClaudeInstalled(): void {
  if (!existsSync(CLAUDE)) throw new Error(`Claude Code is not installed: ${INSTALL}`);
  const r = versionOf(CLAUDE);
  const want = wantedVersion('@anthropic-ai/claude-code');
  // Without its postinstall (npm --ignore-scripts) bin/claude is a stub that prints why and exits 1.
  if (r.status !== 0) throw new Error(`Claude Code is installed but does not run (${(r.stderr || String(r.error)).trim().split('\n')[0]}): ${INSTALL}`);
  if (!r.stdout.startsWith(`${want} `)) throw new Error(`Claude Code ${r.stdout.trim()} is installed, test/clients wants ${want}: ${INSTALL}`);
}

/**
 * The environment Claude Code runs in: the test home's (HOME, CLAUDE_CONFIG_DIR under a temp folder),
 * caches and temp files (`claude -p` makes $TMPDIR/claude-<uid>, $TMPDIR/cc-socks) under that fake HOME too,
 * no network beyond loopback, and nothing inherited from a Claude Code session the tests may run inside.
 */
export function claudeEnv(t: TestHome): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(t.env)) {
    if (/^(ANTHROPIC_|CLAUDECODE$|CLAUDE_CODE_|MCP_)/.test(k)) continue;
    env[k] = v;
  }
  const userHome = env.HOME as string;
  const noProxy = ['127.0.0.1', 'localhost', env.NO_PROXY ?? env.no_proxy].filter(Boolean).join(',');
  return {
    ...env,
    XDG_CACHE_HOME: path.join(userHome, '.cache'),
    XDG_DATA_HOME: path.join(userHome, '.local', 'share'),
    XDG_STATE_HOME: path.join(userHome, '.local', 'state'),
    TMPDIR: path.join(userHome, 'tmp'),
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    NO_PROXY: noProxy,
    no_proxy: noProxy,
  };
}

/** With CLAUDE_CONFIG_DIR set, Claude Code reads its user config from $CLAUDE_CONFIG_DIR/.claude.json (not ~/.claude.json). */
export function claudeJsonPath(env: NodeJS.ProcessEnv): string {
  return env.CLAUDE_CONFIG_DIR ? path.join(env.CLAUDE_CONFIG_DIR, '.claude.json') : path.join(env.HOME as string, '.claude.json');
}

export async function writeClaudeConfig(env: NodeJS.ProcessEnv, servers: Record<string, unknown>): Promise<void> {
  const file = claudeJsonPath(env);
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, JSON.stringify({ mcpServers: servers }, null, 2));
}

/** Where Claude Code logs its MCP connections (under the fake HOME's cache). */
export function claudeLogRoot(env: NodeJS.ProcessEnv): string {
  return path.join(env.XDG_CACHE_HOME as string, 'claude-cli-nodejs');
}

/** Claude Code's own log of its MCP connections, one line per entry, for failure messages. */
export async function claudeMcpLogs(env: NodeJS.ProcessEnv): Promise<string> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (/^mcp-logs-/.test(path.basename(dir))) {
        out.push(`${path.basename(dir)}:`);
        for (const line of (await fs.readFile(p, 'utf8')).split('\n').filter(Boolean)) {
          try {
            const entry = JSON.parse(line) as { debug?: string; error?: string };
            out.push(entry.error !== undefined ? `  error: ${entry.error}` : `  ${entry.debug}`);
          } catch {
            out.push(`  ${line}`);
          }
        }
      }
    }
  };
  await walk(claudeLogRoot(env));
  return out.join('\n') || '(no MCP log from Claude Code)';
}

/**
 * Claude Code remembers which servers answered its server/discover probe "method not found" and skips the probe for
 * them next time (mcp-discover-verdicts.json): forgotten before a test that must see the probe.
 */
export async function forgetDiscoverVerdicts(env: NodeJS.ProcessEnv): Promise<void> {
  const walk = async (dir: string): Promise<void> => {
    for (const e of await fs.readdir(dir, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name === 'mcp-discover-verdicts.json') await fs.rm(p, { force: true });
    }
  };
  await walk(env.HOME as string);
}

/** `<client> --version` under a throwaway home: even that makes folders (Codex: ~/.codex/tmp), never in the real one. */
function versionOf(bin: string): SpawnSyncReturns<string> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'shared-mcp-client-version-'));
  try {
    const env = { ...process.env, HOME: home, CLAUDE_CONFIG_DIR: path.join(home, '.claude'), CODEX_HOME: path.join(home, '.codex'), XDG_CONFIG_HOME: path.join(home, '.config'), XDG_CACHE_HOME: path.join(home, '.cache'), DISABLE_AUTOUPDATER: '1' };
    return spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000, env, cwd: home });
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/** Fails (never skips) unless test/clients holds that pinned, runnable Codex CLI (default: CODEX). */
export function assertCodexInstalled(pkg = CODEX_PACKAGE): void {
  const bin = codexBin(pkg);
  const want = wantedVersion(pkg);
  if (!existsSync(bin)) throw new Error(`Codex ${want} (${pkg}) is not installed: ${INSTALL}`);
  const r = versionOf(bin);
  // Without its platform package (an optional dependency) codex.js exits 1 saying which one is missing.
  if (r.status !== 0) throw new Error(`Codex ${want} is installed but does not run (${(r.stderr || String(r.error)).trim().split('\n')[0]}): ${INSTALL}`);
  if (r.stdout.trim() !== `codex-cli ${want}`) throw new Error(`${r.stdout.trim()} is installed as ${pkg}, test/clients wants ${want}: ${INSTALL}`);
}

/** Runs a client in its own process group (so teardown can kill all of it); `children` collects it for that. */
export function runClient(bin: string, args: string[], options: { env: NodeJS.ProcessEnv; cwd: string; timeoutMs?: number }, children: ChildProcess[]): Promise<ClientResult> {
  const timeoutMs = options.timeoutMs ?? 90_000;
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: options.env, cwd: options.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      killGroup(child);
      reject(new Error(`${path.basename(bin)} ${args.join(' ')} timed out after ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
