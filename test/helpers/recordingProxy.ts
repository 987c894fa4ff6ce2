// A pass-through HTTP proxy on loopback that records what a real client sends to the host and what the host answers:
// how the acceptance tests see a client's protocol probe and its fallback on the wire, without changing either side.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Exchange {
  method: string;
  path: string;
  /** The MCP-Protocol-Version header the client sent, if any. */
  protocolVersion?: string;
  /** The JSON-RPC method(s) of the body (a batch gives several). */
  rpc: string[];
  status?: number;
  /** The answer's body when it was an error (4xx/5xx), for assertions and failure messages. */
  errorBody?: string;
}

export interface RecordingProxy {
  /** The proxy's origin; requests go on to the same path at the target. */
  origin: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

function rpcMethods(body: string): string[] {
  try {
    const value = JSON.parse(body) as unknown;
    return (Array.isArray(value) ? value : [value]).map((m) => (typeof (m as { method?: unknown })?.method === 'string' ? (m as { method: string }).method : '(response)'));
  } catch {
    return [];
  }
}

/** Forwards every request to 127.0.0.1:targetPort (Host rewritten, as the host checks it) and streams the answer back. */
export async function startRecordingProxy(targetPort: number): Promise<RecordingProxy> {
  const exchanges: Exchange[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (d: Buffer) => chunks.push(d));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const version = req.headers['mcp-protocol-version'];
      const exchange: Exchange = { method: req.method ?? '', path: req.url ?? '', ...(typeof version === 'string' ? { protocolVersion: version } : {}), rpc: rpcMethods(body.toString('utf8')) };
      exchanges.push(exchange);
      const upstream = http.request({ host: '127.0.0.1', port: targetPort, method: req.method, path: req.url, headers: { ...req.headers, host: `127.0.0.1:${targetPort}` } }, (answer) => {
        exchange.status = answer.statusCode;
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        if ((answer.statusCode ?? 0) >= 400) {
          let text = '';
          answer.on('data', (d: Buffer) => (text += d.toString()));
          answer.on('end', () => (exchange.errorBody = text));
        }
        answer.pipe(res);
      });
      upstream.on('error', (err) => {
        exchange.status = 502;
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy: ${err.message}`);
      });
      // A client that hangs up (the end of a GET stream) ends the upstream request too.
      res.on('close', () => upstream.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** One line per exchange, for failure messages. */
export function describeExchanges(exchanges: Exchange[]): string {
  return exchanges.map((e) => `${e.method} ${e.path} [${e.protocolVersion ?? '-'}] ${e.rpc.join(',') || '-'} -> ${e.status ?? '?'}${e.errorBody ? ` ${e.errorBody}` : ''}`).join('\n');
}
