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
