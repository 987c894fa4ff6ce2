/** MCP logging levels (RFC 5424), least severe first. */
export const LOG_LEVELS = ['debug', 'info', 'notice', 'warning', 'error', 'critical', 'alert', 'emergency'] as const;
export type McpLogLevel = (typeof LOG_LEVELS)[number];

export function isLogLevel(v: unknown): v is McpLogLevel {
  return typeof v === 'string' && (LOG_LEVELS as readonly string[]).includes(v);
}

export function levelRank(level: string): number {
  const i = (LOG_LEVELS as readonly string[]).indexOf(level);
  return i < 0 ? LOG_LEVELS.length : i;
}

/** The most verbose of the levels, or undefined when there are none. */
export function mostVerbose(levels: Iterable<string>): McpLogLevel | undefined {
  let best: McpLogLevel | undefined;
  for (const l of levels) if (isLogLevel(l) && (best === undefined || levelRank(l) < levelRank(best))) best = l;
  return best;
}

/**
 * logging/setLevel is global to a server process: each session keeps its own level, the backend runs at the most
 * verbose one asked for, and each session sees only the messages its own level lets through.
 */
export class SessionLogLevels<S> {
  private readonly levels = new Map<S, McpLogLevel>();
  private backendLevel: McpLogLevel | undefined;

  set(session: S, level: McpLogLevel): void {
    this.levels.set(session, level);
  }

  /** True when the session had set a level. */
  remove(session: S): boolean {
    return this.levels.delete(session);
  }

  /** A new backend process runs at its own default level until told otherwise. */
  backendReset(): void {
    this.backendLevel = undefined;
  }

  /** The level the backend must be set to now, if any (and it is taken as set); canSet: it has the logging capability. */
  due(canSet: boolean): McpLogLevel | undefined {
    const want = mostVerbose(this.levels.values());
    if (want === undefined || want === this.backendLevel || !canSet) return undefined;
    this.backendLevel = want;
    return want;
  }

  /** Whether a message of this level reaches the session. */
  wants(session: S, level: string): boolean {
    return levelRank(level) >= levelRank(this.threshold(session));
  }

  /** A session that never set a level sees what it would see alone, unless another session turned the backend up. */
  private threshold(session: S): string {
    const own = this.levels.get(session);
    if (own) return own;
    return this.backendLevel !== undefined && levelRank(this.backendLevel) < levelRank('info') ? 'info' : 'debug';
  }
}
