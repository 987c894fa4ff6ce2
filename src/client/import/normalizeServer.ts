import * as os from 'node:os';
import * as path from 'node:path';
import type { FoundServer } from './readClientServers';

/** A client entry as a Shared MCP server, with what the user should know about the conversion; or why it stays. */
export type Normalized = { entry: Record<string, unknown>; notes: string[] } | { skip: string };

export interface NormalizeOptions {
  /** The host's client token: an entry that carries it is one of ours. */
  ourToken?: string;
  /**
   * What a literal, secret-looking env value becomes (the extension moves it to SecretStorage and returns
   * `${secret:NAME}`); undefined keeps the value as it is.
   */
  secret?(server: string, key: string, value: string): string | undefined;
}

/** Env names whose values are credentials. */
const SECRET_KEY = /(^|_)(API_?KEY|KEY|TOKEN|SECRET|PASSWORD|PASSWD|PAT|CREDENTIALS?|AUTH)(_|$)/i;
/** Values that are credentials whatever their name (GitHub, OpenAI, Anthropic, Slack, AWS). */
const SECRET_VALUE = /^(gh[pousr]_|github_pat_|sk-|xox[abpr]-|AKIA)[A-Za-z0-9_-]{8,}/;

/** Turns one client's server entry into a config.jsonc entry: stdio servers only, env references kept as references. */
export function normalizeServer(found: FoundServer, options: NormalizeOptions = {}): Normalized {
  const r = found.raw;
  const url = str(r.url) ?? str(r.httpUrl) ?? str(r.serverUrl);
  if (url !== undefined || /^(http|sse|streamable-?http)$/i.test(str(r.type) ?? '')) {
    const headers = (r.headers ?? r.http_headers) as Record<string, unknown> | undefined;
    if (options.ourToken && headers && Object.values(headers).includes(`Bearer ${options.ourToken}`)) return { skip: 'already shared through Shared MCP' };
    return { skip: 'a remote server: the client reaches it directly' };
  }
  let command = str(r.command);
  if (command === undefined || command.trim() === '') return { skip: 'it has no command' };
  if (r.args !== undefined && (!Array.isArray(r.args) || r.args.some((a) => typeof a !== 'string' && typeof a !== 'number'))) return { skip: '"args" is not a list of strings' };
  let args = ((r.args as unknown[] | undefined) ?? []).map(String);
  if (args.includes('bridge') && args.some((a) => /[\\/]cli\.js$/.test(a))) return { skip: 'already shared through Shared MCP (bridge)' };
  // Windows configs wrap npx in cmd /c; the host runs the real command itself.
  if (/^cmd(\.exe)?$/i.test(path.win32.basename(command)) && /^\/c$/i.test(args[0] ?? '') && args.length > 1) {
    command = args[1];
    args = args.slice(2);
  }
  const notes: string[] = [];
  const entry: Record<string, unknown> = { command };
  if (args.length > 0) entry.args = args.map((a) => expandPaths(a, found));
  if (args.some((a) => /\$\{?[A-Za-z_]/.test(a) && !/\$\{(workspaceFolder|userHome)\}/.test(a))) notes.push('its args name environment variables, which Shared MCP passes as written: check them');
  const env = normalizeEnv(found, options, notes);
  if (Object.keys(env).length > 0) entry.env = env;
  const cwd = str(r.cwd);
  if (cwd) entry.cwd = expandPaths(cwd, found);
  else if (found.project) entry.cwd = found.project; // the client ran it in its project
  if (r.envFile !== undefined) notes.push('"envFile" is not supported: copy its variables into "env"');
  if (r.disabled === true || r.enabled === false) entry.disabled = true;
  if (typeof r.startup_timeout_sec === 'number') entry.startupTimeout = `${r.startup_timeout_sec}s`;
  const enabled = strings(r.enabled_tools) ?? strings(r.includeTools);
  const disabled = strings(r.disabled_tools) ?? strings(r.excludeTools);
  if (enabled || disabled) entry.tools = { ...(enabled ? { enabled } : {}), ...(disabled ? { disabled } : {}) };
  return { entry, notes };
}

function normalizeEnv(found: FoundServer, options: NormalizeOptions, notes: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  const raw = found.raw.env;
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
      const text = typeof value === 'string' ? value : String(value);
      const converted = convertRefs(text, found, notes);
      const literal = converted === text && !/\$\{(env|secret):/.test(text);
      const asSecret = literal && text !== '' && (SECRET_KEY.test(key) || SECRET_VALUE.test(text)) ? options.secret?.(found.name, key, text) : undefined;
      env[key] = asSecret ?? converted;
    }
  }
  // Codex passes these through from its own environment.
  for (const name of strings(found.raw.env_vars) ?? []) env[name] ??= `\${env:${name}}`;
  return env;
}

/** Each client's way to name a variable, as ours: `${env:NAME}` (VS Code inputs become secrets of the same id). */
function convertRefs(value: string, found: FoundServer, notes: string[]): string {
  let out = value;
  if (found.source === 'claude') {
    out = out.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?\}/g, (_, name: string, def?: string) => {
      if (def !== undefined) notes.push(`\${${name}:-…}: the default is dropped; the host's ${name} is used`);
      return `\${env:${name}}`;
    });
  } else if (found.source === 'gemini') {
    out = out.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (_, a?: string, b?: string) => `\${env:${a ?? b}}`);
  } else if (found.source === 'vscode') {
    out = out.replace(/\$\{input:([A-Za-z0-9_.-]+)\}/g, (_, id: string) => {
      notes.push(`\${input:${id}} became \${secret:${id}}: set it with "Shared MCP: Set Secret"`);
      return `\${secret:${id}}`;
    });
  }
  return expandPaths(out, found);
}

/** ${workspaceFolder} (the entry's project) and ${userHome}, which VS Code and Cursor expand themselves. */
function expandPaths(value: string, found: FoundServer): string {
  let out = value;
  if (found.project) out = out.replace(/\$\{workspaceFolder\}/g, found.project);
  return out.replace(/\$\{userHome\}/g, os.homedir());
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function strings(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}
