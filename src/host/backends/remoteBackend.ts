import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { SharedMcpError } from '../../shared/errors';
import { Emitter } from '../../shared/emitter';
import type { ServerDefinition } from '../../shared/config/configTypes';
import type { ServerLog } from '../logs/serverLog';
import type { Backend, ServerInfo } from './backend';

/** A remote server is pinged this often; a failed ping counts as the server going away. */
export const REMOTE_PING_MS = 30_000;
const CLIENT_INFO = { name: 'shared-mcp', version: '1' };

/**
 * The host's connection to a remote server: Streamable HTTP first, legacy SSE as the fallback (or only SSE for
 * `type: "sse"`). Connecting runs MCP initialize; a failed ping or a closed transport fires onDidExit.
 */
export class RemoteBackend implements Backend {
  readonly pid = null;
  private readonly onDidExitEmitter = new Emitter<string>();
  /** Fires once, with the reason, when the connection is lost. */
  readonly onDidExit = this.onDidExitEmitter.event;
  private readonly pinger: NodeJS.Timeout;
  private closed = false;

  private constructor(
    private readonly client: Client,
    readonly serverInfo: ServerInfo | null,
    readonly via: 'streamable-http' | 'sse',
  ) {
    client.onclose = () => this.lost('the connection closed');
    this.pinger = setInterval(() => {
      client.ping({ timeout: REMOTE_PING_MS }).catch((err: Error) => this.lost(`ping failed: ${err.message}`));
    }, REMOTE_PING_MS);
    this.pinger.unref();
  }

  /** Connects and initializes; throws UNAUTHORIZED on HTTP 401, SERVER_EXITED for anything else. */
  static async connect(def: ServerDefinition, headers: Record<string, string>, timeoutMs: number, log: ServerLog, signal: AbortSignal): Promise<RemoteBackend> {
    const url = new URL(def.url as string);
    const requestInit = { headers };
    const sse = (): Promise<RemoteBackend> => RemoteBackend.open(new SSEClientTransport(url, { requestInit }), 'sse', timeoutMs, signal);
    try {
      if (def.transport === 'sse') return await sse();
      try {
        return await RemoteBackend.open(new StreamableHTTPClientTransport(url, { requestInit }), 'streamable-http', timeoutMs, signal);
      } catch (err) {
        const status = httpStatus(err);
        // Servers that only speak the old protocol answer a POST with one of these.
        if (status !== 404 && status !== 405 && status !== 400) throw err;
        log.line('host', `Streamable HTTP answered ${status}; trying legacy SSE`);
        return await sse();
      }
    } catch (err) {
      throw describe(err);
    }
  }

  private static async open(transport: Transport, via: RemoteBackend['via'], timeoutMs: number, signal: AbortSignal): Promise<RemoteBackend> {
    const client = new Client(CLIENT_INFO, { capabilities: {} });
    try {
      await client.connect(transport, { timeout: timeoutMs, signal });
    } catch (err) {
      await client.close().catch(() => undefined);
      throw err;
    }
    const info = client.getServerVersion();
    return new RemoteBackend(client, info ? { name: info.name, version: info.version } : null, via);
  }

  /** Closes the connection; idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    await this.client.close().catch(() => undefined);
    this.onDidExitEmitter.dispose();
  }

  private lost(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.pinger);
    this.onDidExitEmitter.fire(reason);
    void this.client.close().catch(() => undefined);
  }
}

function httpStatus(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}

function describe(err: unknown): SharedMcpError {
  const status = httpStatus(err);
  const message = err instanceof Error ? err.message : String(err);
  if (status === 401 || (err instanceof Error && err.name === 'UnauthorizedError')) {
    return new SharedMcpError('UNAUTHORIZED', 'the server asks for authorization (HTTP 401)');
  }
  const cause = (err as { cause?: { code?: string } }).cause?.code;
  return new SharedMcpError('SERVER_EXITED', cause ? `cannot connect: ${cause}` : message);
}
