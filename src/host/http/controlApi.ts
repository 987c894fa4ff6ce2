import type { IncomingMessage, ServerResponse } from 'node:http';
import { SharedMcpError } from '../../shared/errors';
import type { Event } from '../../shared/emitter';
import type { ClientTokenResult, HealthInfo, HostEvent, HostStatus, ServerActionRequest, ServerToolsResult, SyncRequest } from '../../shared/controlTypes';
import type { SecretStore } from '../secretStore';
import type { ServerSet } from '../serverSet';
import type { SyncService } from '../sync/syncService';
import type { BearerToken } from './bearerToken';
import { openSse, readJsonBody, sendJson } from './httpUtils';
import { handleSecrets } from './secretsApi';

export const DEFAULT_LOG_TAIL_LINES = 100;

/** What the control API needs from the host. */
export interface ControlContext {
  controlToken: BearerToken;
  servers: ServerSet;
  /** ${secret:NAME} values, set over POST /api/secrets. */
  secrets: SecretStore;
  health(): HealthInfo;
  /** The client bearer token the host holds (MCP clients' configs carry it). */
  clientToken(): string;
  /** Settles once start-up (orphan cleanup, first config) is done; server actions wait for it. */
  ready(): Promise<void>;
  status(): Promise<HostStatus>;
  reload(): Promise<HostEvent>;
  sync: SyncService;
  shutdown(): void;
  onDidEmit: Event<HostEvent>;
}

/** Serves /api/* (control token required). Throws SharedMcpError for the caller to map to a response. */
export async function handleControl(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ControlContext): Promise<void> {
  if (!ctx.controlToken.matches(req.headers.authorization)) throw new SharedMcpError('UNAUTHORIZED', 'missing or wrong control token');
  const route = `${req.method} ${url.pathname}`;
  const action = /^POST \/api\/servers\/(start|stop|restart)$/.exec(route);
  if (action) {
    const body = (await readJsonBody<ServerActionRequest>(req)) ?? {};
    const names = body.names;
    if (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string'))) throw new SharedMcpError('BAD_REQUEST', '"names" must be an array of strings');
    const verb = action[1] as 'start' | 'stop' | 'restart';
    await ctx.ready();
    await ctx.servers[verb](names);
    const status = await ctx.servers.status();
    return sendJson(res, 200, { servers: names && names.length > 0 ? status.filter((s) => names.includes(s.name)) : status });
  }
  const logs = /^GET \/api\/servers\/([^/]+)\/logs$/.exec(route);
  if (logs) return serveLogs(req, res, url, ctx, decodeName(logs[1]));
  const tools = /^GET \/api\/servers\/([^/]+)\/tools$/.exec(route);
  if (tools) {
    const name = decodeName(tools[1]);
    ctx.servers.resolve([name]);
    return sendJson(res, 200, { tools: ctx.servers.endpoint(name)?.tools() ?? null } satisfies ServerToolsResult);
  }
  if (route === 'GET /api/secrets' || route === 'POST /api/secrets') return handleSecrets(req, res, ctx);
  switch (route) {
    case 'GET /api/health':
      return sendJson(res, 200, ctx.health());
    case 'GET /api/client-token':
      return sendJson(res, 200, { token: ctx.clientToken() } satisfies ClientTokenResult);
    case 'GET /api/status':
      return sendJson(res, 200, await ctx.status());
    case 'POST /api/reload':
      return sendJson(res, 200, await ctx.reload());
    case 'POST /api/sync':
    case 'POST /api/unsync': {
      const body = syncRequest(await readJsonBody<SyncRequest>(req));
      await ctx.ready();
      return sendJson(res, 200, await (route === 'POST /api/sync' ? ctx.sync.sync(body) : ctx.sync.unsync(body)));
    }
    case 'POST /api/shutdown':
      sendJson(res, 202, { ok: true });
      ctx.shutdown();
      return;
    case 'GET /api/events': {
      let sub: { dispose(): void } | undefined;
      const send = openSse(req, res, () => sub?.dispose());
      sub = ctx.onDidEmit((e) => send(e));
      return;
    }
    default:
      throw new SharedMcpError('NOT_FOUND', `no such control endpoint: ${route}`);
  }
}

function syncRequest(body: SyncRequest | undefined): SyncRequest {
  const b = body ?? {};
  const strings = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
  const byClient = b.replace === undefined || (typeof b.replace === 'object' && b.replace !== null && !Array.isArray(b.replace) && Object.values(b.replace).every((v) => strings(v) && v !== undefined));
  if (!strings(b.clients) || !byClient) throw new SharedMcpError('BAD_REQUEST', '"clients" must be an array of strings and "replace" an object of arrays of names by client');
  if ((b.dryRun !== undefined && typeof b.dryRun !== 'boolean') || (b.force !== undefined && typeof b.force !== 'boolean')) throw new SharedMcpError('BAD_REQUEST', '"dryRun" and "force" must be booleans');
  return b;
}

function decodeName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new SharedMcpError('BAD_REQUEST', `malformed server name in the URL: ${raw}`);
  }
}

function serveLogs(req: IncomingMessage, res: ServerResponse, url: URL, ctx: ControlContext, name: string): void {
  const log = ctx.servers.log(name);
  const tailParam = url.searchParams.get('tail');
  const tail = tailParam === null ? DEFAULT_LOG_TAIL_LINES : Number(tailParam);
  if (!Number.isInteger(tail) || tail < 0) throw new SharedMcpError('BAD_REQUEST', '"tail" must be a non-negative integer');
  const lines = log.tail(tail);
  if (url.searchParams.get('follow') !== '1') return sendJson(res, 200, { lines });
  let sub: { dispose(): void } | undefined;
  const send = openSse(req, res, () => sub?.dispose());
  for (const line of lines) send(line);
  sub = log.follow((line) => send(line));
}
