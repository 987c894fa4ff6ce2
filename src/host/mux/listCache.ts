import type { Backend } from '../backends/backend';

/** The lists whose changes clients hear about, by capability: tools/list under `tools`, … */
const LISTS = [
  { capability: 'tools', method: 'tools/list', key: 'tools', notification: 'notifications/tools/list_changed' },
  { capability: 'prompts', method: 'prompts/list', key: 'prompts', notification: 'notifications/prompts/list_changed' },
  { capability: 'resources', method: 'resources/list', key: 'resources', notification: 'notifications/resources/list_changed' },
] as const;
/** A server with more pages than this is listed only this far (enough to notice a change). */
const MAX_PAGES = 50;

/** How long each page may take, and what ends the read early (the mux went away). */
export interface ListDeadline {
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface ToolSummary {
  name: string;
  description?: string;
}

/**
 * What a backend lists, fetched by the host itself: the tools (for status, the tree and the aggregate) and a
 * fingerprint of each list, so a restart that changed a list can be announced with list_changed.
 */
export class ListCache {
  tools: ToolSummary[] | null = null;
  private readonly fingerprints = new Map<string, string>();

  /** onToolsChanged: the tools differ from the last read (the first read included). */
  constructor(private readonly onToolsChanged: () => void = () => undefined) {}

  /**
   * Re-reads the lists the backend has; resolves with the list_changed notifications due (a list that differs
   * from the one seen before; nothing on the first read). Failures (a page past its deadline included: it is
   * cancelled at the server) leave the old values.
   */
  async refresh(backend: Backend, deadline: ListDeadline, only?: 'tools' | 'prompts' | 'resources'): Promise<string[]> {
    const caps = backend.initializeResult?.capabilities ?? {};
    const due: string[] = [];
    await Promise.all(
      LISTS.filter((l) => caps[l.capability] !== undefined && (only === undefined || only === l.key)).map(async (l) => {
        const items = await listAll(backend, l.method, l.key, deadline).catch(() => undefined);
        if (!items) return;
        if (l.key === 'tools') this.tools = items.map((t) => ({ name: String(t.name), ...(typeof t.description === 'string' ? { description: t.description } : {}) }));
        const fp = JSON.stringify(items);
        const before = this.fingerprints.get(l.key);
        this.fingerprints.set(l.key, fp);
        if (before !== fp && l.key === 'tools') this.onToolsChanged();
        if (before !== undefined && before !== fp) due.push(l.notification);
      }),
    );
    return due;
  }
}

async function listAll(backend: Backend, method: string, key: string, deadline: ListDeadline): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await backend.request(method, cursor ? { cursor } : {}, deadline.timeoutMs, deadline.signal);
    const got = result[key];
    // A server's list may hold anything: only objects are items.
    if (Array.isArray(got)) for (const item of got as unknown[]) if (typeof item === 'object' && item !== null && !Array.isArray(item)) items.push(item as Record<string, unknown>);
    cursor = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
    if (!cursor) break;
  }
  return items;
}
