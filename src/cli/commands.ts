import { spawn } from 'node:child_process';
import { existsSync, promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ControlClient } from '../client/controlClient';
import { ensureHost } from '../client/ensureHost';
import { findHost } from '../shared/healthCheck';
import { SharedMcpError } from '../shared/errors';
import { formatProblem } from '../shared/config/configTypes';
import { validateConfigText } from '../shared/config/validateConfig';
import { STATUS_SCHEMA_VERSION, type ServerStatus } from '../shared/controlTypes';
import { homePaths, HOME_ENV } from '../shared/homePaths';
import { isPidAlive } from '../shared/pidAlive';
import { formatServers, formatStatus } from './formatStatus';

export const HOST_EXIT_WAIT_MS = 60_000;

/** What every command gets: where the home is, where our bundles are, and how to print. */
export interface CliContext {
  home: string;
  distDir: string;
  out(text: string): void;
  err(text: string): void;
  /** Aborted on SIGTERM or SIGINT, for commands that run until stopped (main.ts catches the signals only for those). */
  stop: AbortSignal;
}

export interface Flags {
  json: boolean;
  host: boolean;
  follow: boolean;
  lines: number;
  config?: string;
  example: boolean;
  dryRun: boolean;
  force: boolean;
  replace: boolean;
  /** --client (sync, unsync), repeatable */
  clients: string[];
  /** --from (import), repeatable */
  from: string[];
}

/** The running host's client; starts the host when none runs. */
export async function connect(ctx: CliContext): Promise<{ client: ControlClient }> {
  const handle = await ensureHost({ home: ctx.home, hostScript: path.join(ctx.distDir, 'host.js') });
  if (handle.started) ctx.err(`started the host: pid ${handle.registry.pid}, port ${handle.registry.port}`);
  if (handle.versionMismatch) {
    ctx.err(`warning: the running host is v${handle.versionMismatch.host}, this CLI is v${handle.versionMismatch.client}; restart it with: shared-mcp down --host && shared-mcp up`);
  }
  return { client: new ControlClient(handle.registry) };
}

function noHost(ctx: CliContext): string {
  return `no host is running for ${ctx.home} (start it with: shared-mcp up)`;
}

/** The running host's client; throws HOST_UNREACHABLE when none runs. */
export async function running(ctx: CliContext): Promise<ControlClient> {
  const reg = await findHost(ctx.home);
  if (!reg) throw new SharedMcpError('HOST_UNREACHABLE', noHost(ctx));
  return new ControlClient(reg);
}

/** Exit code of an action: 1 when a server it targeted ended failed, crashed or waiting for auth or a secret. */
function report(ctx: CliContext, servers: ServerStatus[], flags: Flags): number {
  ctx.out(flags.json ? JSON.stringify({ schemaVersion: STATUS_SCHEMA_VERSION, servers }, null, 2) : formatServers(servers));
  return servers.some((s) => ['failed', 'crashed', 'needs-auth', 'needs-secret'].includes(s.state)) ? 1 : 0;
}

export async function up(ctx: CliContext, names: string[], flags: Flags): Promise<number> {
  const { client } = await connect(ctx);
  const { servers } = await client.start(names);
  const code = report(ctx, names.length > 0 ? servers : servers.filter((s) => s.autoStart === true || s.state !== 'stopped'), flags);
  return (await configProblem(ctx, client)) ? 1 : code;
}

/** Tells about a config the host could not apply (one line); true if there is one. */
async function configProblem(ctx: CliContext, client: ControlClient): Promise<boolean> {
  const error = (await client.status()).host?.configError;
  if (error) ctx.err(`config error, not applied: ${error.message}`);
  return !!error;
}

export async function down(ctx: CliContext, names: string[], flags: Flags): Promise<number> {
  const reg = await findHost(ctx.home);
  if (!reg) {
    ctx.err(`no host is running for ${ctx.home}`);
    return 0;
  }
  const client = new ControlClient(reg);
  if (flags.host) {
    if (names.length > 0) throw new SharedMcpError('USAGE', 'down --host stops every server: do not name servers with it');
    await client.shutdown();
    const deadline = Date.now() + HOST_EXIT_WAIT_MS;
    while (isPidAlive(reg.pid)) {
      if (Date.now() > deadline) throw new SharedMcpError('TIMEOUT', `the host (pid ${reg.pid}) is still stopping after ${HOST_EXIT_WAIT_MS / 1000}s`);
      await sleep(50);
    }
    ctx.out(`host stopped (pid ${reg.pid})`);
    return 0;
  }
  return report(ctx, (await client.stop(names)).servers, flags);
}

export async function restart(ctx: CliContext, names: string[], flags: Flags): Promise<number> {
  const { client } = await connect(ctx);
  const code = report(ctx, (await client.restart(names)).servers, flags);
  return (await configProblem(ctx, client)) ? 1 : code;
}

export async function status(ctx: CliContext, names: string[], flags: Flags): Promise<number> {
  const reg = await findHost(ctx.home);
  if (!reg) {
    if (flags.json) ctx.out(JSON.stringify({ schemaVersion: STATUS_SCHEMA_VERSION, host: null, servers: [] }, null, 2));
    else ctx.err(noHost(ctx));
    return 1;
  }
  const st = await new ControlClient(reg).status();
  const unknown = names.filter((n) => !st.servers.some((s) => s.name === n));
  if (unknown.length > 0) throw new SharedMcpError('UNKNOWN_SERVER', `unknown server: ${unknown.join(', ')}`);
  if (flags.json) {
    ctx.out(JSON.stringify(names.length > 0 ? { ...st, servers: st.servers.filter((s) => names.includes(s.name)) } : st, null, 2));
  } else {
    ctx.out(formatStatus(st, names));
  }
  return 0;
}

export async function logs(ctx: CliContext, names: string[], flags: Flags): Promise<number> {
  if (names.length !== 1) throw new SharedMcpError('USAGE', 'logs takes exactly one server name: shared-mcp logs <server> [-f] [-n N]');
  const client = await running(ctx);
  const print = (l: { time: string; stream: string; text: string }): void => ctx.out(`${l.time} ${l.stream === 'stderr' ? '' : `[${l.stream}] `}${l.text}`);
  if (!flags.follow) {
    const { lines } = await client.logs(names[0], flags.lines);
    if (lines.length === 0) ctx.err(`no output from ${names[0]} yet`);
    lines.forEach(print);
    return 0;
  }
  return new Promise((resolve, reject) => {
    const ended = (err?: Error): void => {
      if (err) return reject(err);
      ctx.err('the host stopped; no more output');
      resolve(1);
    };
    const sub = client.followLogs(names[0], flags.lines, print, ended);
    // Ctrl-C ends the stream (main.ts turns the signal into ctx.stop); the exit code says it was asked for.
    ctx.stop.addEventListener('abort', () => {
      sub.dispose();
      resolve(0);
    }, { once: true });
  });
}

export async function config(ctx: CliContext, args: string[], flags: Flags): Promise<number> {
  const [sub, file] = args;
  const target = file ? path.resolve(file) : (flags.config ? path.resolve(flags.config) : homePaths(ctx.home).config);
  if (sub === 'path' && !file) {
    ctx.out(target);
    return 0;
  }
  if (sub !== 'validate' || args.length > 2) throw new SharedMcpError('USAGE', 'usage: shared-mcp config path | shared-mcp config validate [file]');
  const text = await fs.readFile(target, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new SharedMcpError('CONFIG_INVALID', err.code === 'ENOENT' ? `config file not found: ${target}` : `cannot read ${target}: ${err.message}`);
  });
  const result = validateConfigText(text);
  if (flags.json) ctx.out(JSON.stringify({ file: target, valid: !!result.raw, errors: result.errors, warnings: result.warnings }, null, 2));
  for (const w of flags.json ? [] : result.warnings) ctx.err(`warning: ${formatProblem(target, w)}`);
  if (!result.raw) {
    for (const e of flags.json ? [] : result.errors) ctx.err(`error: ${formatProblem(target, e)}`);
    return 1;
  }
  if (!flags.json) ctx.out(`${target}: valid, ${Object.keys(result.raw.mcpServers ?? {}).length} server(s)`);
  return 0;
}

/** `serve`: the host in the foreground of this terminal; Ctrl-C stops it and every server. */
export async function serve(ctx: CliContext, names: string[], flags: Flags): Promise<number> {
  if (names.length > 0) throw new SharedMcpError('USAGE', 'serve takes no server names');
  let home = ctx.home;
  let configFile = flags.config ? path.resolve(flags.config) : undefined;
  if (flags.example) {
    if (!process.env[HOME_ENV]) home = path.join(os.tmpdir(), `shared-mcp-example-${os.userInfo().uid}`);
    configFile = path.join(ctx.distDir, '..', 'examples', 'config.jsonc');
  }
  if (configFile && !existsSync(configFile)) throw new SharedMcpError('CONFIG_INVALID', `config file not found: ${configFile}`);
  const existing = await findHost(home);
  if (existing) throw new SharedMcpError('HOST_RUNNING', `a host is already running for ${home} (pid ${existing.pid}, port ${existing.port}); stop it with: shared-mcp down --host`);
  const child = spawn(process.execPath, [path.join(ctx.distDir, 'host.js'), '--foreground', ...(configFile ? ['--config', configFile] : [])], {
    stdio: 'inherit',
    env: { ...process.env, [HOME_ENV]: home },
  });
  // Ctrl-C reaches the host directly too (same process group); a repeat within a second is ignored by the host.
  const forward = (signal: NodeJS.Signals): void => void child.kill(signal);
  process.on('SIGTERM', forward);
  process.on('SIGINT', forward);
  // The host's own log already tells what went wrong if it dies before it is announced.
  void announce(ctx, home, child.pid as number).catch(() => undefined);
  return new Promise((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
}

async function announce(ctx: CliContext, home: string, pid: number): Promise<void> {
  for (let i = 0; i < 400 && isPidAlive(pid); i++) {
    const reg = await findHost(home);
    if (reg && reg.pid === pid) {
      const st = await new ControlClient(reg).status();
      ctx.out(`Shared MCP host on http://${reg.address}:${reg.port} (home ${home}); Ctrl-C stops it`);
      for (const s of st.servers) ctx.out(`  ${s.name.padEnd(Math.max(...st.servers.map((x) => x.name.length)))}  ${s.endpoint}`);
      if (st.servers.length === 0) ctx.out(`  no servers configured yet: edit ${st.host?.configPath}`);
      return;
    }
    await sleep(50);
  }
}
