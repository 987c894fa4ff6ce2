import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import type { TestHome } from './hostHarness';

export interface ConnectOptions {
  name?: string;
  /** Declare sampling and answer every sampling request with this text. */
  samplingAnswer?: string;
  /** Declare elicitation and accept with this name. */
  elicitName?: string;
  /** Declare roots and answer roots/list with these URIs. */
  roots?: string[];
  transport?: 'streamable-http' | 'sse';
  token?: string;
}

export async function clientToken(t: TestHome): Promise<string> {
  return (await fs.readFile(path.join(t.home, 'token'), 'utf8')).trim();
}

export function endpointUrl(t: TestHome, endpoint: string, kind: 'mcp' | 'sse' = 'mcp'): URL {
  return new URL(`http://127.0.0.1:${t.port}/${kind}${endpoint ? `/${endpoint}` : ''}`);
}

/** A real MCP SDK client connected to the host's endpoint for a server ("" for the aggregate). */
export async function connect(t: TestHome, endpoint: string, opts: ConnectOptions = {}): Promise<{ client: Client; transport: StreamableHTTPClientTransport | SSEClientTransport }> {
  const client = makeClient(opts);
  const headers = { Authorization: `Bearer ${opts.token ?? (await clientToken(t))}` };
  const transport =
    opts.transport === 'sse'
      ? new SSEClientTransport(endpointUrl(t, endpoint, 'sse'), { requestInit: { headers }, eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) } })
      : new StreamableHTTPClientTransport(endpointUrl(t, endpoint), { requestInit: { headers } });
  await client.connect(transport);
  return { client, transport };
}

/** An SDK client (not connected yet) that declares and answers what the options ask for. */
export function makeClient(opts: Pick<ConnectOptions, 'name' | 'samplingAnswer' | 'elicitName' | 'roots'> = {}): Client {
  const capabilities: Record<string, object> = {};
  if (opts.samplingAnswer !== undefined) capabilities.sampling = {};
  if (opts.elicitName !== undefined) capabilities.elicitation = {};
  if (opts.roots !== undefined) capabilities.roots = { listChanged: true };
  const client = new Client({ name: opts.name ?? 'test-client', version: '1.2.3' }, { capabilities });
  if (opts.samplingAnswer !== undefined) {
    const text = opts.samplingAnswer;
    client.setRequestHandler(CreateMessageRequestSchema, async () => ({ role: 'assistant', content: { type: 'text', text }, model: 'test-model' }));
  }
  if (opts.elicitName !== undefined) {
    const name = opts.elicitName;
    client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'accept', content: { name } }));
  }
  if (opts.roots !== undefined) {
    const roots = opts.roots.map((uri) => ({ uri }));
    client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots }));
  }
  return client;
}

/** The text of a tool result's first content item. */
export function textOf(result: unknown): string {
  const content = (result as { content?: Array<{ text?: string }> }).content;
  return content?.[0]?.text ?? '';
}
