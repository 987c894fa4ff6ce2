import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs, readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HostStatus, ServerStatus } from '../../src/shared/controlTypes';
import { readRegistry, type HostRegistry } from '../../src/shared/registry';

export const ROOT = path.resolve(__dirname, '..', '..', '..');
export const CLI = path.join(ROOT, 'dist', 'cli.js');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A free TCP port on 127.0.0.1 (bound once, then released). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A fixture server entry for config.jsonc: node running test/fixtures/<file>. */
export function fixture(file: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { command: process.execPath, args: [path.join(FIXTURES, file)], ...extra };
}

/**
 * One temp home with its own port and a fake HOME, and helpers to drive the real CLI against it.
 * dispose() stops the host and fails the test if any process of this home is still alive.
 */
export class TestHome {
  private constructor(
    readonly home: string,
    readonly port: number,
  ) {}

  static async create(servers: Record<string, unknown> = {}, settings: Record<string, unknown> = {}): Promise<TestHome> {
    const home = await fs.mkdtemp(path.join(os.tmpdir(), 'shared-mcp-test-'));
    const t = new TestHome(home, await freePort());
    await fs.mkdir(path.join(home, 'user-home'), { recursive: true });
    await t.writeConfig(servers, settings);
    return t;
  }

  /** A home whose host is up with these servers running (every one of them must start with the host). */
  static async started(servers: Record<string, unknown>, settings: Record<string, unknown> = {}): Promise<TestHome> {
    const t = await TestHome.create(servers, settings);
    const up = await t.cli(['up']);
    if (up.code !== 0) throw new Error(`shared-mcp up failed: ${up.stderr}`);
    await t.waitFor((s) => Object.keys(servers).every((name) => s.servers.some((x) => x.name === name && x.state === 'running')), 30_000, 'every server running');
    return t;
  }

  /** Extra environment for every CLI run (and so for the host it starts), e.g. SHELL. */
  extraEnv: NodeJS.ProcessEnv = {};

  get env(): NodeJS.ProcessEnv {
    const userHome = path.join(this.home, 'user-home');
    return {
      ...process.env,
      SHARED_MCP_HOME: this.home,
      HOME: userHome,
      CLAUDE_CONFIG_DIR: path.join(userHome, '.claude'),
      CODEX_HOME: path.join(userHome, '.codex'),
      XDG_CONFIG_HOME: path.join(userHome, '.config'),
      ...this.extraEnv,
    };
  }

  async writeConfig(servers: Record<string, unknown>, settings: Record<string, unknown> = {}): Promise<void> {
    const text = JSON.stringify({ mcpServers: servers, settings: { port: this.port, stopGrace: '2s', ...settings } }, null, 2);
    await fs.writeFile(path.join(this.home, 'config.jsonc'), text);
  }

  async writeRawConfig(text: string): Promise<void> {
    await fs.writeFile(path.join(this.home, 'config.jsonc'), text);
  }

  /** Runs `node dist/cli.js ...args` against this home; `input`, when given, is its stdin. */
  cli(args: string[], timeoutMs = 120_000, input?: string): Promise<CliResult> {
    return runCli(args, this.env, timeoutMs, input);
  }

  /** Starts `cli` without waiting (for concurrency tests). */
  spawnCli(args: string[]): ChildProcess {
    return spawn(process.execPath, [CLI, ...args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
  }

  async status(): Promise<HostStatus> {
    const r = await this.cli(['status', '--json']);
    return JSON.parse(r.stdout) as HostStatus;
  }

  async server(name: string): Promise<ServerStatus> {
    const s = (await this.status()).servers.find((x) => x.name === name);
    if (!s) throw new Error(`no server ${name} in status`);
    return s;
  }

  /** Polls status until the predicate holds; throws with the last status after timeoutMs. */
  async waitFor(pred: (s: HostStatus) => boolean, timeoutMs = 30_000, what = 'condition'): Promise<HostStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: HostStatus | undefined;
    while (Date.now() < deadline) {
      try {
        last = await this.status();
        if (pred(last)) return last;
      } catch {
        // host not up yet
      }
      await sleep(100);
    }
    throw new Error(`timed out waiting for ${what}; last status: ${JSON.stringify(last?.servers.map((s) => [s.name, s.state, s.lastError]))}`);
  }

  async waitForState(name: string, state: string, timeoutMs = 30_000): Promise<ServerStatus> {
    const st = await this.waitFor((s) => s.servers.some((x) => x.name === name && x.state === state), timeoutMs, `${name} to be ${state}`);
    return st.servers.find((x) => x.name === name) as ServerStatus;
  }

  registry(): Promise<HostRegistry | undefined> {
    return readRegistry(path.join(this.home, 'host.json'));
  }

  /** Every live, non-zombie process whose environment names this home: the host, its servers and their children. */
  processes(): number[] {
    return processesWithEnv(`SHARED_MCP_HOME=${this.home}`);
  }

  /** Stops the host, kills anything left (and fails if something was left), removes the home. */
  async dispose(): Promise<void> {
    await this.cli(['down', '--host'], 90_000).catch(() => undefined);
    const deadline = Date.now() + 5000;
    while (this.processes().length > 0 && Date.now() < deadline) await sleep(100);
    const left = this.processes();
    for (const pid of left) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await fs.rm(this.home, { recursive: true, force: true });
    if (left.length > 0) throw new Error(`processes left behind by ${this.home}: ${left.join(', ')}`);
  }
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000, input?: string, cli = CLI): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`shared-mcp ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    // 'close', not 'exit': output may still be arriving when the process has exited.
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Pids of live (non-zombie) processes whose environment contains this exact entry. */
export function processesWithEnv(entry: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
      if (readFileSync(`/proc/${name}/environ`, 'utf8').split('\0').includes(entry)) found.push(Number(name));
    } catch {
      // exited, or not ours to read
    }
  }
  return found;
}

/** True if a non-zombie process with this pid exists. */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}
