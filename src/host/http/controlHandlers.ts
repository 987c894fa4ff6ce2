import { SharedMcpError } from '../../shared/errors';
import type { Event } from '../../shared/emitter';
import type { HealthInfo, HostEvent, HostStatus, ServerActionRequest, SyncRequest } from '../../shared/controlTypes';
import type { SecretStore } from '../secretStore';
import type { ServerSet } from '../serverSet';
import type { SyncService } from '../sync/syncService';
import type { ControlHandlers } from './controlRouter';
import { parseSecretsUpdate, secretsList } from './secretsApi';

export const DEFAULT_LOG_TAIL_LINES = 100;

/** What the control API needs from the host. */
export interface ControlContext {
  servers: ServerSet;
  /** ${secret:NAME} values, set over POST /api/secrets. */
  secrets: SecretStore;
  health(): HealthInfo;
  /** The client bearer token the host holds (MCP clients' configs carry it). */
  clientToken(): string;
  status(): Promise<HostStatus>;
  reload(): Promise<HostEvent>;
  sync: SyncService;
  shutdown(): void;
  onDidEmit: Event<HostEvent>;
}

/** The control API's handlers; the shared route table says which path, method and wait each has. */
export function controlHandlers(ctx: ControlContext): ControlHandlers {
  const action = (verb: 'start' | 'stop' | 'restart'): ControlHandlers['startServers'] => ({
    parseBody: parseServerAction,
    async handle({ body: { names } }) {
      await ctx.servers[verb](names);
      const status = await ctx.servers.status();
      return { servers: names && names.length > 0 ? status.filter((s) => names.includes(s.name)) : status };
    },
  });
  return {
    health: { handle: () => ctx.health() },
    status: { handle: () => ctx.status() },
    clientToken: { handle: () => ({ token: ctx.clientToken() }) },
    startServers: action('start'),
    stopServers: action('stop'),
    restartServers: action('restart'),
    serverTools: {
      handle({ params: { server } }) {
        ctx.servers.resolve([server]);
        return { tools: ctx.servers.endpoint(server)?.tools() ?? null };
      },
    },
    serverLogs: { handle: ({ params: { server }, query }) => ({ lines: ctx.servers.log(server).tail(tailOf(query)) }) },
    followServerLogs: {
      open({ params: { server }, query }) {
        // Both can fail (an unknown server, a bad tail): before the stream opens, so the answer says so.
        const log = ctx.servers.log(server);
        const tail = tailOf(query);
        return (send) => {
          for (const line of log.tail(tail)) send(line);
          return log.follow((line) => send(line));
        };
      },
    },
    reload: { handle: () => ctx.reload() },
    sync: { parseBody: parseSyncRequest, handle: ({ body }) => ctx.sync.sync(body) },
    unsync: { parseBody: parseSyncRequest, handle: ({ body }) => ctx.sync.unsync(body) },
    shutdown: { handle: () => ({ ok: true }), afterResponse: () => ctx.shutdown() },
    events: { open: () => (send) => ctx.onDidEmit((e) => send(e)) },
    secrets: { handle: () => secretsList(ctx.secrets, ctx.servers) },
    setSecrets: {
      parseBody: parseSecretsUpdate,
      async handle({ body }) {
        const changed = await ctx.secrets.update(body.set ?? {}, body.delete ?? []);
        return { changed, ...secretsList(ctx.secrets, ctx.servers) };
      },
    },
  };
}

function tailOf(query: URLSearchParams): number {
  const text = query.get('tail');
  const tail = text === null ? DEFAULT_LOG_TAIL_LINES : Number(text);
  if (!Number.isInteger(tail) || tail < 0) throw new SharedMcpError('BAD_REQUEST', '"tail" must be a non-negative integer');
  return tail;
}

function parseServerAction(raw: unknown): ServerActionRequest {
  const body = (raw ?? {}) as ServerActionRequest;
  const names = body.names;
  if (typeof body !== 'object' || (names !== undefined && (!Array.isArray(names) || names.some((n) => typeof n !== 'string')))) {
    throw new SharedMcpError('BAD_REQUEST', '"names" must be an array of strings');
  }
  return body;
}

export function parseSyncRequest(raw: unknown): SyncRequest {
  const b = (raw ?? {}) as SyncRequest;
  const strings = (v: unknown): boolean => v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string'));
  const byClient = b.replace === undefined || (typeof b.replace === 'object' && b.replace !== null && !Array.isArray(b.replace) && Object.values(b.replace).every((v) => strings(v) && v !== undefined));
  if (typeof b !== 'object' || !strings(b.clients) || !byClient) throw new SharedMcpError('BAD_REQUEST', '"clients" must be an array of strings and "replace" an object of arrays of names by client');
  if ((b.dryRun !== undefined && typeof b.dryRun !== 'boolean') || (b.force !== undefined && typeof b.force !== 'boolean')) throw new SharedMcpError('BAD_REQUEST', '"dryRun" and "force" must be booleans');
  return b;
}
