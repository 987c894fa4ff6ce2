import type { Backend } from '../backends/backend';

/** The lists whose changes clients hear about, by capability: tools/list under `tools`, … */
const LISTS = [
  { capability: 'tools', method: 'tools/list', key: 'tools', notification: 'notifications/tools/list_changed' },
  { capability: 'prompts', method: 'prompts/list', key: 'prompts', notification: 'notifications/prompts/list_changed' },
  { capability: 'resources', method: 'resources/list', key: 'resources', notification: 'notifications/resources/list_changed' },
] as const;
/** A server with more pages than this is listed only this far (enough to notice a change). */
const MAX_PAGES = 50;
const LIST_TIMEOUT_MS = 30_000;

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
   * from the one seen before; nothing on the first read). Failures leave the old values.
   */
  async refresh(backend: Backend, only?: 'tools' | 'prompts' | 'resources'): Promise<string[]> {
    const caps = backend.initializeResult?.capabilities ?? {};
    const due: string[] = [];
    await Promise.all(
      LISTS.filter((l) => caps[l.capability] !== undefined && (only === undefined || only === l.key)).map(async (l) => {
        const items = await listAll(backend, l.method, l.key).catch(() => undefined);
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

async function listAll(backend: Backend, method: string, key: string): Promise<Array<Record<string, unknown>>> {
  const items: Array<Record<string, unknown>> = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const result = await backend.request(method, cursor ? { cursor } : {}, LIST_TIMEOUT_MS);
    const got = result[key];
    if (Array.isArray(got)) items.push(...(got as Array<Record<string, unknown>>));
    cursor = typeof result.nextCursor === 'string' ? result.nextCursor : undefined;
    if (!cursor) break;
  }
  return items;
}
