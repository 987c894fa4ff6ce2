import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import { SharedMcpError } from '../../shared/errors';
import { Emitter } from '../../shared/emitter';
import type { ServerDefinition } from '../../shared/config/configTypes';
import type { ServerLog } from '../logs/serverLog';
import { killTree } from '../supervisor/killTree';
import type { ProcessInfo } from '../supervisor/processTable';
import { Inbox, type Backend } from './backend';
import type { InitializeParams, InitializeResult, JsonRpcMessage, ServerInfo } from './jsonRpc';
import { LineFramer, recoverId } from './lineFramer';
import { RpcChannel } from './rpcChannel';

/** After exit, how long to wait for the last output: a grandchild may hold the pipes open much longer. */
export const EXIT_DRAIN_MS = 250;

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * One stdio server process: spawned in its own process group, stdout framed as JSON-RPC lines, stderr drained
 * into the server's log. Owns the process; `close()` stops its whole tree.
 */
export class StdioBackend implements Backend {
  private readonly onDidExitEmitter = new Emitter<string>();
  /** Fires once when the process exits, for whatever reason: "exited with code 1". */
  readonly onDidExit = this.onDidExitEmitter.event;
  serverInfo: ServerInfo | null = null;
  initializeResult: InitializeResult | null = null;
  private readonly inbox = new Inbox();
  private readonly channel = new RpcChannel((msg) => this.send(msg));
  private exited: ExitInfo | undefined;
  private closing: Promise<void> | undefined;
  /** Messages waiting for the end of this turn of the event loop; undefined when none was sent in it. */
  private batch: string[] | undefined;
  /** The process tree as last sampled; lets a stop find grandchildren that left the group. */
  knownTree: ProcessInfo[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    private readonly log: ServerLog,
    maxMessageBytes: number,
  ) {
    const framer = new LineFramer(
      maxMessageBytes,
      (line) => this.receive(line),
      (bytes, head, tail) => {
        log.line('host', `dropped a ${bytes}-byte message from the server: over the ${maxMessageBytes}-byte cap (settings.maxMessageSize)`);
        this.inbox.oversized?.({ bytes, id: recoverId(head, tail) });
      },
    );
    child.stdout?.on('data', (chunk: Buffer) => framer.push(chunk));
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => log.append('stderr', chunk));
    child.stdin?.on('error', () => undefined); // EPIPE after the server died; 'exit' reports it
    child.on('exit', (code, signal) => {
      const exited = { code, signal };
      this.exited = exited;
      this.channel.close(new SharedMcpError('SERVER_EXITED', `server exited (${describeExit(exited)})`));
      // 'exit' can come before the last stderr lines: report once the pipes close, or shortly after at the latest.
      let reported = false;
      const report = (): void => {
        if (reported) return;
        reported = true;
        clearTimeout(timer);
        this.onDidExitEmitter.fire(`exited with ${describeExit(exited)}`);
      };
      const timer = setTimeout(report, EXIT_DRAIN_MS);
      child.once('close', report);
      if (child.stdout?.closed !== false && child.stderr?.closed !== false) report();
    });
  }

  /** Spawns the server; rejects with COMMAND_NOT_FOUND when the command or cwd does not exist. */
  static async spawn(def: ServerDefinition, env: NodeJS.ProcessEnv, log: ServerLog, maxMessageBytes: number): Promise<StdioBackend> {
    if (!def.command) throw new SharedMcpError('CONFIG_INVALID', `server "${def.name}" has no command`);
    if (def.cwd) {
      const ok = await fs.stat(def.cwd).then((s) => s.isDirectory(), () => false);
      if (!ok) throw new SharedMcpError('COMMAND_NOT_FOUND', `working directory not found: ${def.cwd}`);
    }
    const child = spawn(def.command, def.args, {
      // One default for every way the host is started (detached by `up`, or by `serve` in some terminal folder).
      cwd: def.cwd ?? os.homedir(),
      env,
      // Own process group (setsid): a Ctrl-C in the host's terminal never reaches servers, and stop can signal the group.
      detached: process.platform !== 'win32',
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      shell: process.platform === 'win32',
    });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') reject(new SharedMcpError('COMMAND_NOT_FOUND', `command not found: ${def.command}`));
        else if (err.code === 'EACCES') reject(new SharedMcpError('COMMAND_NOT_FOUND', `command is not executable: ${def.command}`));
        else reject(new SharedMcpError('SERVER_EXITED', `cannot start ${def.command}: ${err.message}`));
      });
    });
    return new StdioBackend(child, child.pid as number, log, maxMessageBytes);
  }

  /** Runs the MCP handshake with the given parameters; rejects on timeout, error answer or exit. */
  async initialize(params: InitializeParams, timeoutMs: number): Promise<InitializeResult> {
    const result = (await this.channel.request('initialize', params, timeoutMs)) as unknown as InitializeResult;
    this.initializeResult = result;
    this.serverInfo = result.serverInfo ? { name: result.serverInfo.name, version: result.serverInfo.version } : null;
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return result;
  }

  request(method: string, params: Record<string, unknown>, timeoutMs: number): Promise<Record<string, unknown>> {
    return this.channel.request(method, params, timeoutMs);
  }

  attach(onMessage: (msg: JsonRpcMessage) => void, onOversized?: Parameters<Inbox['attach']>[1]): void {
    this.inbox.attach(onMessage, onOversized);
  }

  send(message: JsonRpcMessage): void {
    const stdin = this.child.stdin;
    if (this.exited || !stdin?.writable) return;
    const line = `${JSON.stringify(message)}\n`;
    // The first message of a turn of the event loop leaves at once; more in the same turn (requests of many
    // sessions read together) wait for its end and leave in one write: a pipe write is the costliest step of a call.
    if (this.batch) {
      this.batch.push(line);
      return;
    }
    stdin.write(line);
    this.batch = [];
    setImmediate(() => {
      const batch = this.batch ?? [];
      this.batch = undefined;
      if (batch.length > 0 && stdin.writable) stdin.write(batch.length === 1 ? batch[0] : batch.join(''));
    });
  }

  /** Stops the whole process tree (TERM, then KILL after graceMs); idempotent. */
  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      await killTree(this.pid, graceMs, { known: this.knownTree, beforeSignal: () => this.child.stdin?.end() });
      if (!this.exited) await new Promise<void>((resolve) => this.onDidExit(() => resolve()));
    })();
    return this.closing;
  }

  private receive(line: Buffer): void {
    let msg: JsonRpcMessage;
    try {
      msg = JSON.parse(line.toString('utf8')) as JsonRpcMessage;
    } catch {
      this.log.line('stdout', line.toString('utf8').slice(0, 2000));
      return;
    }
    // JSON that is not a message (null, a number, an array) is noise on stdout, like any other non-JSON line.
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) {
      this.log.line('stdout', line.toString('utf8').slice(0, 2000));
      return;
    }
    if (this.channel.handleResponse(msg)) return;
    if (msg.method === 'ping' && msg.id !== undefined && msg.id !== null) {
      this.send({ jsonrpc: '2.0', id: msg.id, result: {} });
      return;
    }
    this.inbox.push(msg);
  }
}

/** "code 1", "signal SIGKILL". */
export function describeExit(e: ExitInfo): string {
  return e.signal ? `signal ${e.signal}` : `code ${e.code}`;
}
