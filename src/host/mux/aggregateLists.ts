import { RPC_INVALID_PARAMS, errorResponse, type JsonRpcMessage } from '../backends/jsonRpc';
import { aggregateName, decodeCursor, encodeCursor } from './aggregateNames';

/**
 * A server's part of an aggregate list page waits this long in all (its child session opening, then its answer);
 * then it is skipped, and its request cancelled.
 */
export const LIST_PART_WAIT_MS = 5_000;
/** resolveName and serverOfUri walk at most this many pages. */
const MAX_WALK_PAGES = 200;

export const LISTS: Record<string, { key: string; capability: string }> = {
  'tools/list': { key: 'tools', capability: 'tools' },
  'prompts/list': { key: 'prompts', capability: 'prompts' },
  'resources/list': { key: 'resources', capability: 'resources' },
  'resources/templates/list': { key: 'resourceTemplates', capability: 'resources' },
};

/** A server's answer as the lists see it: the message, 'skipped' (not in time: left out), or undefined (failed, or the caller cancelled). */
export type Asked = JsonRpcMessage | 'skipped' | undefined;

/** What the lists need of the aggregate, for one client request. */
export interface ListSource {
  /** The servers that can be listed, in order. */
  servers(): string[];
  /** The server's capabilities once its child session is open; 'skipped' when it did not open within waitMs. */
  open(server: string, waitMs: number): Promise<Record<string, unknown> | 'skipped' | undefined>;
  /** Asks the server; with waitMs, an answer later than that is 'skipped' (the request is cancelled at the server). */
  ask(server: string, method: string, params: Record<string, unknown>, waitMs?: number): Promise<Asked>;
  /** The client cancelled the request this source serves. */
  readonly cancelled: boolean;
}

type Part = { items: Array<Record<string, unknown>>; nextInner: string | null } | 'none';

/**
 * The aggregate's lists: pages walk the servers in turn under one opaque cursor (a server without the list, or that
 * failed, is passed over; one that did not answer in time ends the page empty, its cursor on the next server), and
 * tools and prompts are renamed `<server>__<name>`. Remembers which server listed which name, for calls.
 */
export class AggregateLists {
  /** Aggregate name → server and original name, for tools and prompts; URI → server for resources. */
  private readonly names = { tools: new Map<string, [string, string]>(), prompts: new Map<string, [string, string]>(), resources: new Map<string, string>() };

  /** One page; undefined when the caller cancelled (no answer is due then). */
  async page(src: ListSource, method: string, cursorText: string | undefined): Promise<JsonRpcMessage | undefined> {
    const list = LISTS[method];
    const servers = src.servers();
    const cursor = cursorText ? decodeCursor(cursorText) : undefined;
    if (cursorText && (!cursor || !servers.includes(cursor.server))) return errorResponse(0, RPC_INVALID_PARAMS, 'Invalid cursor');
    for (let i = cursor ? servers.indexOf(cursor.server) : 0; i < servers.length; i++) {
      const server = servers[i];
      const part = await this.part(src, server, method, cursor && server === cursor.server ? cursor.cursor : null);
      if (src.cancelled) return undefined;
      if (part === 'none') continue;
      const nextServer = part.nextInner ? server : servers[i + 1];
      const next = nextServer ? encodeCursor({ server: nextServer, cursor: part.nextInner }) : undefined;
      return { jsonrpc: '2.0', result: { [list.key]: part.items, ...(next ? { nextCursor: next } : {}) } };
    }
    return { jsonrpc: '2.0', result: { [list.key]: [] } };
  }

  /** The server and original name behind an aggregate name; lists every server once when it is not known yet. */
  async resolveName(src: ListSource, kind: 'tools' | 'prompts', name: string): Promise<[string, string] | undefined> {
    if (!this.names[kind].has(name)) await this.walk(src, `${kind}/list`);
    return this.names[kind].get(name);
  }

  async serverOfUri(src: ListSource, uri: string): Promise<string | undefined> {
    if (!this.names.resources.has(uri)) await this.walk(src, 'resources/list');
    const known = this.names.resources.get(uri);
    if (known) return known;
    // A templated resource is listed by nobody: the first server that offers resources and knows the scheme wins.
    const scheme = uri.split(':')[0];
    for (const server of src.servers()) {
      const caps = await src.open(server, LIST_PART_WAIT_MS);
      if (typeof caps !== 'object' || caps.resources === undefined) continue;
      if ([...this.names.resources].some(([u, srv]) => srv === server && u.split(':')[0] === scheme)) return server;
    }
    return undefined;
  }

  private async part(src: ListSource, server: string, method: string, inner: string | null): Promise<Part> {
    const list = LISTS[method];
    const started = Date.now();
    const caps = await src.open(server, LIST_PART_WAIT_MS);
    if (caps === 'skipped') return { items: [], nextInner: null };
    if (caps?.[list.capability] === undefined) return 'none';
    // What the opening took comes off the answer's wait: the part as a whole waits LIST_PART_WAIT_MS at most.
    const left = Math.max(1, LIST_PART_WAIT_MS - (Date.now() - started));
    const reply = await src.ask(server, method, inner ? { cursor: inner } : {}, left);
    if (reply === 'skipped') return { items: [], nextInner: null };
    const result = reply?.result;
    if (typeof result !== 'object' || result === null) return 'none';
    const got: unknown = result[list.key];
    const items = (Array.isArray(got) ? got : []).filter((item: unknown): item is Record<string, unknown> => typeof item === 'object' && item !== null && !Array.isArray(item));
    return { items: items.map((item) => this.rename(list.key, server, item)), nextInner: typeof result.nextCursor === 'string' ? result.nextCursor : null };
  }

  private rename(key: string, server: string, item: Record<string, unknown>): Record<string, unknown> {
    if (key === 'resources' && typeof item.uri === 'string') this.names.resources.set(item.uri, server);
    if (key !== 'tools' && key !== 'prompts') return item;
    const original = String(item.name);
    const name = aggregateName(server, original);
    this.names[key].set(name, [server, original]);
    return { ...item, name, ...(key === 'tools' && !item.title ? { title: original } : {}) };
  }

  private async walk(src: ListSource, method: string): Promise<void> {
    let cursor: string | undefined;
    for (let page = 0; page < MAX_WALK_PAGES; page++) {
      const reply = await this.page(src, method, cursor);
      cursor = reply?.result?.nextCursor as string | undefined;
      if (!cursor) return;
    }
  }
}
