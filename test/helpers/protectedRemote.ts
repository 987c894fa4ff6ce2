import { randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { CallToolRequestSchema, ListToolsRequestSchema } from '@modelcontextprotocol/sdk/types.js';

/** One MCP request as the protected server received it. */
export interface SeenRequest {
  httpMethod: string;
  authorization: string | undefined;
  session: string | undefined;
  rpcMethod: string | undefined;
}

/**
 * A real remote MCP server (the SDK's Server over StreamableHTTPServerTransport, stateful) that checks a bearer
 * token on every request, as a protected resource does: a wrong token gets 401; `deny` makes every request fail
 * with the given status and WWW-Authenticate header (a token that expired mid-session); the `admin` tool needs a
 * scope the token lacks (403 insufficient_scope). `raw` answers a tools/call by name with hand-written JSON text,
 * `failWith` with an HTTP failure. Tools: echo, admin, and the names in `raw`.
 */
export class ProtectedRemote {
  readonly seen: SeenRequest[] = [];
  /** Tokens accepted in `Authorization: Bearer <token>`. */
  readonly tokens = new Set<string>();
  deny: { status: 401 | 403; challenge: string } | undefined;
  readonly adminChallenge = 'Bearer error="insufficient_scope", scope="admin:write read", error_description="the admin tool needs admin:write"';
  /** tools/call name → the JSON text of the answer (given the request id's JSON). */
  readonly raw = new Map<string, (id: string) => string>();
  /** tools/call name → an HTTP failure to answer it with, given the request's Authorization header (a proxy that echoes it). */
  readonly failWith = new Map<string, (authorization: string | undefined) => { status: number; body: string }>();
  initializeCount = 0;
  private readonly transports = new Map<string, StreamableHTTPServerTransport>();

  private constructor(private readonly server: http.Server) {}

  static async start(tokens: string[]): Promise<ProtectedRemote> {
    let remote: ProtectedRemote | undefined;
    const server = http.createServer((req, res) => {
      remote?.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(err));
      });
    });
    remote = new ProtectedRemote(server);
    for (const t of tokens) remote.tokens.add(t);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return remote;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/mcp`;
  }

  /** The Authorization headers of the POSTs that carried this JSON-RPC method. */
  authorizationsOf(rpcMethod: string): Array<string | undefined> {
    return this.seen.filter((s) => s.rpcMethod === rpcMethod).map((s) => s.authorization);
  }

  async close(): Promise<void> {
    await Promise.all([...this.transports.values()].map((t) => t.close().catch(() => undefined)));
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const body = req.method === 'POST' ? await readBody(req) : undefined;
    const rpc = body as { id?: unknown; method?: string; params?: { name?: string } } | undefined;
    const session = req.headers['mcp-session-id'] as string | undefined;
    this.seen.push({ httpMethod: req.method ?? '', authorization: req.headers.authorization, session, rpcMethod: rpc?.method });
    if (this.deny) return void res.writeHead(this.deny.status, { 'www-authenticate': this.deny.challenge }).end();
    const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token || !this.tokens.has(token)) return void res.writeHead(401, { 'www-authenticate': 'Bearer realm="test", error="invalid_token"' }).end();
    if (rpc?.method === 'tools/call' && rpc.params?.name === 'admin') return void res.writeHead(403, { 'www-authenticate': this.adminChallenge }).end();
    const fail = rpc?.method === 'tools/call' ? this.failWith.get(rpc.params?.name ?? '') : undefined;
    if (fail) {
      const { status, body } = fail(req.headers.authorization);
      return void res.writeHead(status, { 'content-type': 'text/plain' }).end(body);
    }
    const raw = rpc?.method === 'tools/call' ? this.raw.get(rpc.params?.name ?? '') : undefined;
    if (raw) return void res.writeHead(200, { 'content-type': 'application/json' }).end(raw(JSON.stringify(rpc?.id)));
    let transport = session ? this.transports.get(session) : undefined;
    if (!transport) {
      if (rpc?.method !== 'initialize') return void res.writeHead(404).end();
      this.initializeCount++;
      transport = await this.newSession();
    }
    await transport.handleRequest(req, res, body);
  }

  private async newSession(): Promise<StreamableHTTPServerTransport> {
    const transport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => void this.transports.set(id, transport),
    });
    const server = new Server({ name: 'protected-remote', version: '1.0.0' }, { capabilities: { tools: {} } });
    server.setRequestHandler(ListToolsRequestSchema, () => ({
      tools: ['echo', 'admin', ...this.raw.keys()].map((name) => ({ name, inputSchema: { type: 'object' as const } })),
    }));
    server.setRequestHandler(CallToolRequestSchema, (request) => ({ content: [{ type: 'text' as const, text: String(request.params.arguments?.text ?? request.params.name) }] }));
    await server.connect(transport);
    return transport;
  }
}

async function readBody(req: http.IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const text = Buffer.concat(chunks).toString('utf8');
  return text === '' ? undefined : (JSON.parse(text) as unknown);
}
