import { SharedMcpError } from '../shared/errors';
import { MAX_JSON_DEPTH, textDepthExceeds } from '../shared/jsonDepth';

export type RpcId = string | number;

/** The 2026-07-28 era's first message on stdio: a client that speaks both eras probes with it before `initialize`. */
export const DISCOVER_METHOD = 'server/discover';

interface RpcMessage {
  jsonrpc?: unknown;
  id?: unknown;
  method?: unknown;
  params?: unknown;
  result?: { protocolVersion?: unknown };
  error?: unknown;
}

/** One line from a stdio client, understood as far as relaying needs. */
export interface ClientLine {
  ok: true;
  /** The requests it carries, by rpcIdKey. */
  requests: Map<string, RpcId>;
  /** Its methods, for the log when it is lost. */
  what: string;
  /** The params of an initialize sent alone. */
  initialize?: Record<string, unknown>;
  /** The requests it cancels (notifications/cancelled): no answer is due for them any more. */
  cancels: RpcId[];
  /** A server/discover sent alone: its id (a request) and the protocol version it names in `_meta`. */
  discover?: { id?: RpcId; version?: string };
}

/** Reads one line as a JSON-RPC message or batch; a line that is neither gives the error to answer, and the id to answer it under. */
export function parseClientLine(line: string): ClientLine | { ok: false; error: SharedMcpError; id: RpcId | null } {
  // Relayed as it came, but answers are written back with JSON.stringify, which a value thousands deep would overflow.
  if (textDepthExceeds(line)) return { ok: false, error: new SharedMcpError('PARSE_ERROR', `Parse error: a line from the client nests deeper than ${MAX_JSON_DEPTH} levels: ${previewText(line)}`), id: null };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { ok: false, error: new SharedMcpError('PARSE_ERROR', `Parse error: a line from the client is not JSON: ${previewText(line)}`), id: null };
  }
  const batch = Array.isArray(value);
  const messages = (batch ? value : [value]) as RpcMessage[];
  if (messages.length === 0 || !messages.every(isMessage)) {
    const id = batch ? null : (value as RpcMessage | null)?.id;
    return { ok: false, error: new SharedMcpError('BAD_REQUEST', `Invalid Request: not a JSON-RPC 2.0 message or batch: ${previewText(line)}`), id: isRpcId(id) ? id : null };
  }
  const requests = new Map<string, RpcId>();
  const cancels: RpcId[] = [];
  for (const m of messages) {
    if (typeof m.method === 'string' && isRpcId(m.id)) requests.set(rpcIdKey(m.id), m.id);
    const cancelled = m.method === 'notifications/cancelled' ? (m.params as { requestId?: unknown } | undefined)?.requestId : undefined;
    if (isRpcId(cancelled)) cancels.push(cancelled);
  }
  const what = messages.map((m) => (typeof m.method === 'string' ? m.method : 'a response')).join(', ');
  const init = !batch && messages[0].method === 'initialize' ? ((messages[0].params ?? {}) as Record<string, unknown>) : undefined;
  const discover = !batch && messages[0].method === DISCOVER_METHOD ? discoverOf(messages[0]) : undefined;
  return { ok: true, requests, what, cancels, ...(init ? { initialize: init } : {}), ...(discover ? { discover } : {}) };
}

function discoverOf(m: RpcMessage): NonNullable<ClientLine['discover']> {
  const meta = (m.params as { _meta?: Record<string, unknown> } | undefined)?._meta;
  const version = meta?.['io.modelcontextprotocol/protocolVersion'];
  return { ...(isRpcId(m.id) ? { id: m.id } : {}), ...(typeof version === 'string' ? { version } : {}) };
}

/** The ids of the responses in what the host sent (one message or a batch). */
export function responseIds(value: unknown): RpcId[] {
  const ids: RpcId[] = [];
  for (const m of (Array.isArray(value) ? value : [value]) as RpcMessage[]) {
    if (typeof m === 'object' && m !== null && m.method === undefined && isRpcId(m.id)) ids.push(m.id);
  }
  return ids;
}

export function isRpcId(v: unknown): v is RpcId {
  return typeof v === 'string' || typeof v === 'number';
}

/** A map key for an id: 1 and "1" are different requests. */
export function rpcIdKey(id: RpcId): string {
  return typeof id === 'number' ? `n${id}` : `s${id}`;
}

/** The protocol version of an initialize answer, if that is what the value is. */
export function protocolVersionOf(value: unknown): string | undefined {
  const v = (value as RpcMessage | undefined)?.result?.protocolVersion;
  return typeof v === 'string' ? v : undefined;
}

export function previewText(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

function isMessage(m: RpcMessage): boolean {
  if (typeof m !== 'object' || m === null || Array.isArray(m) || m.jsonrpc !== '2.0') return false;
  if (m.method !== undefined) return typeof m.method === 'string' && (m.id === undefined || isRpcId(m.id));
  return isRpcId(m.id) && (m.result !== undefined || m.error !== undefined);
}
