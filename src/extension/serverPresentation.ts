import * as vscode from 'vscode';
import type { ServerState, ServerStatus } from '../shared/controlTypes';
import { formatBytes, formatDuration } from '../shared/units';

/** One icon per supervisor state: spinning while it changes, error colours when it broke, a key when it needs a login. */
const STATE_ICONS: Record<ServerState, { id: string; color?: string }> = {
  running: { id: 'pass-filled', color: 'testing.iconPassed' },
  idle: { id: 'circle-large-outline', color: 'testing.iconPassed' },
  starting: { id: 'loading~spin' },
  stopping: { id: 'sync~spin' },
  crashed: { id: 'warning', color: 'errorForeground' },
  failed: { id: 'error', color: 'errorForeground' },
  'needs-auth': { id: 'key', color: 'editorWarning.foreground' },
  'needs-secret': { id: 'lock', color: 'editorWarning.foreground' },
  stopped: { id: 'circle-slash', color: 'disabledForeground' },
  disabled: { id: 'debug-breakpoint-disabled', color: 'disabledForeground' },
};

/** The icon of a server in this state. */
export function stateIcon(state: ServerState): vscode.ThemeIcon {
  const icon = STATE_ICONS[state] ?? { id: 'question' };
  return new vscode.ThemeIcon(icon.id, icon.color ? new vscode.ThemeColor(icon.color) : undefined);
}

/** "12 tools · 3 sessions · 84 MB" (the parts that are known), else the state. */
export function serverDescription(s: ServerStatus): string {
  const parts: string[] = [];
  if (s.tools !== null) parts.push(`${s.tools} tool${s.tools === 1 ? '' : 's'}`);
  if (s.sessions.length > 0) parts.push(`${s.sessions.length} session${s.sessions.length === 1 ? '' : 's'}`);
  if (s.rssBytes !== null && s.rssBytes > 0) parts.push(formatBytes(s.rssBytes));
  return s.state === 'running' && parts.length > 0 ? parts.join(' · ') : [s.state, ...parts].join(' · ');
}

/** The hover: what runs, where clients reach it, and what went wrong last. */
export function serverTooltip(s: ServerStatus): vscode.MarkdownString {
  const md = new vscode.MarkdownString(undefined, true);
  md.appendMarkdown(`**${escape(s.name)}** — ${s.state}\n\n`);
  md.appendMarkdown(`${s.transport === 'stdio' ? 'Command' : 'URL'}: \`${s.launch.replace(/`/g, "'")}\`\n\n`);
  md.appendMarkdown(`Endpoint: \`${s.endpoint}\`\n\n`);
  const facts: string[] = [];
  if (s.pid !== null) facts.push(`pid ${s.pid}`);
  if (s.uptimeMs !== null) facts.push(`up ${formatDuration(s.uptimeMs)}`);
  facts.push(`${s.restarts} restart${s.restarts === 1 ? '' : 's'}`);
  if (s.serverInfo) facts.push(`${escape(s.serverInfo.name)} ${escape(s.serverInfo.version)}`);
  md.appendMarkdown(`${facts.join(' · ')}\n\n`);
  if (s.lastError) md.appendMarkdown(`Last error: ${escape(s.lastError)}\n`);
  return md;
}

/** The status bar text: running servers out of those that should run. */
export function statusBarText(servers: ServerStatus[]): string {
  const counted = servers.filter((s) => s.state !== 'disabled');
  const up = counted.filter((s) => s.state === 'running' || s.state === 'idle').length;
  return `$(server) MCP ${up}/${counted.length}`;
}

/** Whether something needs the user's attention (the status bar turns to its warning colours). */
export function anyBroken(servers: ServerStatus[]): boolean {
  return servers.some((s) => s.state === 'crashed' || s.state === 'failed' || s.state === 'needs-secret');
}

function escape(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!|<>]/g, '\\$&');
}
