import type { HostStatus, ServerStatus, SessionStatus } from '../shared/controlTypes';
import { formatBytes, formatDuration } from '../shared/units';

/** The human status view: a host line, a table of servers, and any config problem. */
export function formatStatus(status: HostStatus, only?: string[]): string {
  const h = status.host;
  if (!h) return 'no host is running';
  const lines = [`host  pid ${h.pid} · port ${h.port} · v${h.version} · up ${formatDuration(h.uptimeMs)} · ${formatBytes(h.rssBytes)} · ${h.home}`];
  if (h.configError) lines.push(`config error (not applied; the last valid config, if any, stays in effect): ${h.configError.message}`);
  for (const w of h.configWarnings) lines.push(`config warning: ${h.configPath}:${w.line}:${w.column} ${w.path}: ${w.message}`);
  const servers = only && only.length > 0 ? status.servers.filter((s) => only.includes(s.name)) : status.servers;
  lines.push('', formatServers(servers));
  const agg = status.aggregate;
  if (agg && agg.sessions.length > 0 && (!only || only.length === 0)) {
    lines.push('', `aggregate ${agg.endpoint}`, ...agg.sessions.map((x) => formatSession(x, Date.now())));
  }
  return lines.join('\n');
}

/** A fixed-column table of servers, with the last error under a server that has one. */
export function formatServers(servers: ServerStatus[]): string {
  if (servers.length === 0) return 'no servers configured (edit the config: shared-mcp config path)';
  const rows = [
    ['SERVER', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'MEMORY', 'TOOLS', 'SESSIONS', 'ENDPOINT'],
    ...servers.map((s) => [
      s.name,
      s.state,
      s.pid === null ? '-' : String(s.pid),
      s.uptimeMs === null ? '-' : formatDuration(s.uptimeMs),
      String(s.restarts),
      s.rssBytes === null ? '-' : formatBytes(s.rssBytes),
      s.tools === null ? '-' : String(s.tools),
      String(s.sessions.length),
      s.endpoint,
    ]),
  ];
  const now = Date.now();
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  const out: string[] = [];
  rows.forEach((r, i) => {
    out.push(r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]))).join('  '));
    const s = i > 0 ? servers[i - 1] : undefined;
    if (s?.lastError && s.state !== 'running') out.push(`  └ ${s.lastError}`);
    for (const x of s?.sessions ?? []) out.push(formatSession(x, now));
  });
  return out.join('\n');
}

/** "  · claude-code 2.1.3 · streamable-http · 12m · 48 calls · 1 in flight" under its server. */
export function formatSession(x: SessionStatus, now: number): string {
  const who = x.client ? `${x.client.name} ${x.client.version}`.trim() : 'unknown client';
  const since = formatDuration(Math.max(0, now - Date.parse(x.since)));
  const extra = [x.inFlight > 0 ? `${x.inFlight} in flight` : '', x.pid ? `pid ${x.pid}` : ''].filter(Boolean);
  return `  · ${who} · ${x.transport} · since ${since} · ${x.callsServed} call${x.callsServed === 1 ? '' : 's'}${extra.map((e) => ` · ${e}`).join('')} · session ${x.id}`;
}
