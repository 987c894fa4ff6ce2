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
import { handleSafely, noteUnhandled, parseServerLine, tooDeepAction } from './inboundMessage';
import { LineFramer, recoverId } from './lineFramer';
import { assertRoom, encodeForServer, type SendLimits } from './outboundMessage';
import { RpcChannel } from './rpcChannel';

/** After exit, how long to wait for the last output: a grandchild may hold the pipes open much longer. */
export const EXIT_DRAIN_MS = 250;
/** A stdout line that is no JSON-RPC (a server's stray print) is logged up to this long. */
export const STDOUT_NOISE_MAX_CHARS = 2000;

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
  // A consumer (the mux) that throws on one message is noted in this server's log, like any message's trouble.
  private readonly inbox = new Inbox((err) => noteUnhandled(this.log, err));
  private readonly channel = new RpcChannel((msg) => this.send(msg));
  private exited: ExitInfo | undefined;
  private closing: Promise<void> | undefined;
  /** Messages waiting for the end of this turn of the event loop; undefined when none was sent in it. */
  private batch: string[] | undefined;
  private batchBytes = 0;
  /** Set while sends are refused for a full queue; cleared (with a log line) once the server drained it. */
  private busy = false;
  /** The process tree as last sampled; lets a stop find grandchildren that left the group. */
  knownTree: ProcessInfo[] = [];

  private constructor(
    private readonly child: ChildProcess,
    readonly pid: number,
    private readonly name: string,
    private readonly log: ServerLog,
    maxMessageBytes: number,
    private readonly limits: () => SendLimits,
  ) {
    const framer = new LineFramer(
      maxMessageBytes,
      (line) => handleSafely(log, () => this.receive(line)),
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

  /**
   * Spawns the server; rejects with COMMAND_NOT_FOUND when the command or cwd does not exist. maxMessageBytes caps
   * a message from the server (settings.maxMessageSize); limits() is asked on every send (the server's own caps).
   */
  static async spawn(def: ServerDefinition, env: NodeJS.ProcessEnv, log: ServerLog, maxMessageBytes: number, limits: () => SendLimits = () => def): Promise<StdioBackend> {
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
    return new StdioBackend(child, child.pid as number, def.name, log, maxMessageBytes, limits);
  }

  /** Runs the MCP handshake with the given parameters; rejects on timeout, error answer or exit. */
  async initialize(params: InitializeParams, timeoutMs: number): Promise<InitializeResult> {
    const result = (await this.channel.request('initialize', params, timeoutMs)) as unknown as InitializeResult;
    this.initializeResult = result;
    this.serverInfo = result.serverInfo ? { name: result.serverInfo.name, version: result.serverInfo.version } : null;
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return result;
  }

  request(method: string, params: Record<string, unknown>, timeoutMs: number, signal?: AbortSignal): Promise<Record<string, unknown>> {
    return this.channel.request(method, params, timeoutMs, signal);
  }

  attach(onMessage: (msg: JsonRpcMessage) => void, onOversized?: Parameters<Inbox['attach']>[1]): void {
    this.inbox.attach(onMessage, onOversized);
  }

  send(message: JsonRpcMessage): void {
    const stdin = this.child.stdin;
    if (this.exited || !stdin?.writable) return;
    const limits = this.limits();
    const { text, bytes } = encodeForServer(this.name, message, limits);
    this.assertRoom(stdin, bytes + 1, limits);
    const line = `${text}\n`;
    // The first message of a turn of the event loop leaves at once; more in the same turn (requests of many
    // sessions read together) wait for its end and leave in one write: a pipe write is the costliest step of a call.
    if (this.batch) {
      this.batch.push(line);
      this.batchBytes += bytes + 1;
      return;
    }
    stdin.write(line);
    this.batch = [];
    setImmediate(() => {
      const batch = this.batch ?? [];
      this.batch = undefined;
      this.batchBytes = 0;
      if (batch.length > 0 && stdin.writable) stdin.write(batch.length === 1 ? batch[0] : batch.join(''));
    });
  }

  /** What waits for the server to read it stays under its maxQueueSize: a server that stops reading must not grow the host. */
  private assertRoom(stdin: NonNullable<ChildProcess['stdin']>, bytes: number, limits: SendLimits): void {
    try {
      assertRoom(this.name, stdin.writableLength + this.batchBytes, bytes, limits);
    } catch (err) {
      if (!this.busy) {
        this.busy = true;
        this.log.line('host', `refusing new messages: the server does not read its input (${stdin.writableLength + this.batchBytes} bytes wait, resourceLimits.maxQueueSize is ${limits.maxQueuedBytes})`);
        stdin.once('drain', () => {
          this.busy = false;
          this.log.line('host', 'the server reads its input again: accepting messages');
        });
      }
      throw err;
    }
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
    const parsed = parseServerLine(line);
    if (parsed.kind === 'noise') {
      // Cut by the log, after it redacted: a secret at the cut must not be left half visible.
      this.log.line('stdout', line.toString('utf8'), STDOUT_NOISE_MAX_CHARS);
      return;
    }
    if (parsed.kind === 'too-deep') {
      const action = tooDeepAction(parsed.id, parsed.hasMethod);
      this.log.line('host', action.note);
      if (action.kind === 'answer') this.deliver(action.reply);
      else if (action.kind === 'refuse') this.send(action.reply);
      return;
    }
    this.deliver(parsed.msg);
  }

  private deliver(msg: JsonRpcMessage): void {
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
