import * as http from 'node:http';
import type { TestHome } from '../../../helpers/hostHarness';
import { clientToken } from '../../../helpers/mcpClients';

export interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export const INIT = { jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } };

/** One request as the bytes a client sends: what SDK clients never send (probes, batches, hostile bodies). */
export function raw(t: TestHome, method: string, path: string, headers: Record<string, string>, body?: string, timeoutMs = 60_000): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: t.port, method, path, headers, agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** A POST to an MCP endpoint with the client token and the headers the spec asks for. */
export async function mcpPost(t: TestHome, path: string, body: unknown, headers: Record<string, string> = {}): Promise<RawAnswer & { session: string | undefined }> {
  const a = await raw(
    t,
    'POST',
    path,
    { authorization: `Bearer ${await clientToken(t)}`, 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    typeof body === 'string' ? body : JSON.stringify(body),
  );
  const session = a.headers['mcp-session-id'];
  return { ...a, session: typeof session === 'string' ? session : undefined };
}
