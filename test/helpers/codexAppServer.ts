// `codex app-server` driven over stdio, the way Codex's IDE extension drives it: JSON-RPC lines (without "jsonrpc")
// in and out. Unlike `codex mcp list`, which only parses config.toml, the app server connects to every MCP server in it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { killGroup } from './realClients';

export interface AppServerMessage {
  id?: number;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code: number; message: string };
}

/** The answer of `mcpServerStatus/list` for one server (codex app-server generate-ts: McpServerStatus). */
export interface McpServerStatus {
  name: string;
  tools: Record<string, { name: string }>;
  toolsError: string | null;
  serverInfo: { name: string } | null;
}

export class CodexAppServer {
  readonly child: ChildProcessWithoutNullStreams;
  /** Everything it sent that answers no request of ours (notifications), for failure messages. */
  readonly notifications: AppServerMessage[] = [];
  stderr = '';
  private buffer = '';
  private nextId = 0;
  private readonly waiting = new Map<number, (m: AppServerMessage) => void>();
  private exited = false;

  constructor(bin: string, options: { env: NodeJS.ProcessEnv; cwd: string }) {
    // Its own process group, so teardown can kill whatever it started.
    this.child = spawn(bin, ['app-server'], { env: options.env, cwd: options.cwd, detached: true, stdio: 'pipe' }) as ChildProcessWithoutNullStreams;
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.read(chunk));
    this.child.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.child.on('exit', () => {
      this.exited = true;
      for (const settle of this.waiting.values()) settle({ error: { code: 0, message: `codex app-server exited; stderr: ${this.stderr}` } });
      this.waiting.clear();
    });
  }

  /** Sends a request and resolves with its result; an error answer (or the process exiting) rejects. */
  async request<T>(method: string, params: unknown, timeoutMs = 60_000): Promise<T> {
    const id = ++this.nextId;
    const answer = await new Promise<AppServerMessage>((resolve, reject) => {
      if (this.exited) return reject(new Error(`codex app-server has exited; stderr: ${this.stderr}`));
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`codex app-server did not answer ${method} within ${timeoutMs} ms; notifications: ${JSON.stringify(this.notifications)}`));
      }, timeoutMs);
      this.waiting.set(id, (m) => {
        clearTimeout(timer);
        resolve(m);
      });
      this.child.stdin.write(`${JSON.stringify({ id, method, params })}\n`);
    });
    if (answer.error) throw new Error(`${method}: ${answer.error.message}`);
    return answer.result as T;
  }

  notify(method: string, params?: unknown): void {
    this.child.stdin.write(`${JSON.stringify(params === undefined ? { method } : { method, params })}\n`);
  }

  /** initialize + initialized, as a client of the app server must begin. */
  async open(): Promise<void> {
    await this.request('initialize', { clientInfo: { name: 'shared-mcp-tests', title: null, version: '1.0.0' }, capabilities: null });
    this.notify('initialized');
  }

  /** Kills its process group (idempotent). */
  dispose(): void {
    if (!this.exited) killGroup(this.child);
  }

  private read(chunk: string): void {
    this.buffer += chunk;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const line = this.buffer.slice(0, nl);
      this.buffer = this.buffer.slice(nl + 1);
      let m: AppServerMessage;
      try {
        m = JSON.parse(line) as AppServerMessage;
      } catch {
        continue; // not a message (it writes only JSON to stdout; kept robust anyway)
      }
      const settle = m.id !== undefined && m.method === undefined ? this.waiting.get(m.id) : undefined;
      if (settle && m.id !== undefined) {
        this.waiting.delete(m.id);
        settle(m);
      } else {
        this.notifications.push(m);
      }
    }
  }
}
