import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, type TestHome } from './hostHarness';
import { makeClient, type ConnectOptions } from './mcpClients';

/** A JSON-RPC message as a test reads it off the bridge's stdout. */
export interface WireMessage {
  jsonrpc: '2.0';
  id?: string | number | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: { content?: Array<{ text?: string }>; [key: string]: unknown };
  error?: { code: number; message: string };
}

export interface BridgeClient {
  client: Client;
  transport: StdioClientTransport;
  /** Everything the bridge wrote to stderr so far. */
  stderr(): string;
}

/** A real SDK client speaking stdio to `node <cli> bridge <server>`, the way Claude Desktop runs it. */
export async function connectBridge(t: TestHome, server: string, opts: ConnectOptions & { cli?: string } = {}): Promise<BridgeClient> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [opts.cli ?? CLI, 'bridge', server], env: t.env as Record<string, string>, stderr: 'pipe' });
  let stderr = '';
  transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const client = makeClient(opts);
  await client.connect(transport);
  return { client, transport, stderr: () => stderr };
}

/** The bridge driven line by line, for what an SDK client would not send (bad lines, bursts, a closed stdin). */
export class RawBridge {
  readonly child: ChildProcessWithoutNullStreams;
  readonly messages: WireMessage[] = [];
  stderr = '';
  /** Resolves with the exit code once the process has exited and its output is read. */
  readonly exited: Promise<number | null>;
  private buffer = '';
  private readonly waiters = new Set<() => void>();

  constructor(t: TestHome, server: string) {
    this.child = spawn(process.execPath, [CLI, 'bridge', server], { env: t.env, stdio: 'pipe' });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => {
      this.buffer += chunk;
      let nl: number;
      while ((nl = this.buffer.indexOf('\n')) >= 0) {
        this.messages.push(JSON.parse(this.buffer.slice(0, nl)) as WireMessage);
        this.buffer = this.buffer.slice(nl + 1);
      }
      for (const w of [...this.waiters]) w();
    });
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
  }

  send(message: WireMessage | string): void {
    this.child.stdin.write(`${typeof message === 'string' ? message : JSON.stringify(message)}\n`);
  }

  /** The first message (seen or still to come) that matches. */
  waitFor(pred: (m: WireMessage) => boolean, what: string, timeoutMs = 30_000): Promise<WireMessage> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const found = this.messages.find(pred);
        if (!found) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages)}; stderr: ${this.stderr}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  response(id: string | number, timeoutMs?: number): Promise<WireMessage> {
    return this.waitFor((m) => m.id === id && m.method === undefined, `the response to ${id}`, timeoutMs);
  }

  async initialize(name = 'raw-client'): Promise<void> {
    this.send({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name, version: '1.0.0' } } });
    const answer = await this.response('init');
    if (answer.error) throw new Error(`initialize failed: ${answer.error.message}`);
    this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }

  call(id: string | number, tool: string, args: Record<string, unknown> = {}): void {
    this.send({ jsonrpc: '2.0', id, method: 'tools/call', params: { name: tool, arguments: args } });
  }

  /** Kills the process if it still runs (test cleanup). */
  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
  }
}

/** The text of a result's first content item. */
export function textOfResult(m: WireMessage): string {
  return m.result?.content?.[0]?.text ?? '';
}
