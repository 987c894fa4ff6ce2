import * as vscode from 'vscode';
import type { ControlClient } from '../client/controlClient';
import { IMPORT_SOURCES, parseImportSource, type ImportSource } from '../client/import/importSources';
import { applyImport, planMachineImport } from '../client/import/machineImport';
import { describeSource, type ImportCandidate } from '../client/import/planImport';
import type { SyncResult } from '../shared/controlTypes';
import { SharedMcpError } from '../shared/errors';
import type { Secrets } from './secrets';

/** Arguments that answer every question (other extensions, tests). */
export interface ImportPreset {
  /** Import these (default: every candidate). */
  names?: string[];
  /** Replace the clients' entries by the shared servers (default: ask; false without a question when names are given). */
  replace?: boolean;
  from?: string[];
}

export interface ImportOutcome {
  added: string[];
  /** Secret names stored in SecretStorage. */
  secrets: string[];
  sync?: SyncResult;
}

export interface ImportContext {
  client: ControlClient;
  configPath: string;
  secrets: Secrets;
  /** VS Code's User folder (its mcp.json is one of the sources). */
  vscodeUserDir: string;
}

/**
 * "Import Servers…": a multi-select of the stdio servers the machine's MCP clients start themselves; the picked ones
 * go into config.jsonc (comments kept) with secret-looking env values moved to SecretStorage as `${secret:NAME}`,
 * and, if the user wants, each client's entry is replaced by the shared server (Unsync restores it).
 */
export async function importServers(ctx: ImportContext, preset?: ImportPreset): Promise<ImportOutcome | undefined> {
  const sources = (preset?.from ?? [...IMPORT_SOURCES]).map((s) => parseImportSource(s) ?? badSource(s));
  const projects = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
  const pending = new Map<string, string>();
  const plan = await planMachineImport({
    sources,
    projects,
    vscodeUserDir: ctx.vscodeUserDir,
    configPath: ctx.configPath,
    token: await ctx.client.clientToken(),
    secret: (server, key, value) => {
      const name = secretName(server, key);
      pending.set(name, value);
      return `\${secret:${name}}`;
    },
  });
  for (const p of plan.problems) void vscode.window.showWarningMessage(`Shared MCP: ${p.file} ${p.message}; it was left alone.`);
  if (plan.add.length === 0) {
    const why = [plan.present.length > 0 ? `${plan.present.length} already shared` : '', plan.conflicts.length > 0 ? `${plan.conflicts.length} with a name already taken` : ''].filter(Boolean).join(', ');
    void vscode.window.showInformationMessage(`Shared MCP: no new stdio servers to import${why ? ` (${why})` : ''}.`);
    return { added: [], secrets: [] };
  }
  const picked = preset ? plan.add.filter((c) => !preset.names || preset.names.includes(c.name)) : await pick(plan.add);
  if (!picked || picked.length === 0) return undefined;
  const replace = preset ? (preset.replace ?? false) : await askReplace();
  if (replace === undefined) return undefined;
  const used = new Set(picked.flatMap((c) => Object.values((c.entry.env as Record<string, string> | undefined) ?? {})).flatMap((v) => [...v.matchAll(/\$\{secret:([^}]+)\}/g)].map((m) => m[1])));
  const moved: Record<string, string> = {};
  for (const name of used) {
    const value = pending.get(name);
    if (value === undefined) continue;
    await ctx.secrets.set(name, value);
    moved[name] = value;
  }
  // The host gets them before the config names them, so the servers start without waiting in needs-secret.
  if (Object.keys(moved).length > 0) await ctx.client.setSecrets({ set: moved });
  const { sync } = await applyImport(ctx.client, ctx.configPath, picked, plan.present, replace);
  void vscode.window.setStatusBarMessage(`Shared MCP: imported ${picked.map((c) => c.name).join(', ')}`, 5000);
  return { added: picked.map((c) => c.name), secrets: Object.keys(moved), ...(sync ? { sync } : {}) };
}

async function pick(candidates: ImportCandidate[]): Promise<ImportCandidate[] | undefined> {
  const items = candidates.map((c) => ({
    label: c.name,
    description: `from ${[...new Set(c.from.map(describeSource))].join(', ')}`,
    detail: [c.entry.command, ...((c.entry.args as string[] | undefined) ?? [])].join(' '),
    picked: true,
    candidate: c,
  }));
  const chosen = await vscode.window.showQuickPick(items, { canPickMany: true, title: 'Import MCP servers into Shared MCP', placeHolder: 'Each runs once on this machine, shared by every client' });
  return chosen?.map((i) => i.candidate);
}

async function askReplace(): Promise<boolean | undefined> {
  const items = [
    { label: 'Point the clients at the shared servers', description: 'replaces their entries; "Unsync Client Configs" restores them', replace: true },
    { label: 'Only add them to Shared MCP', description: 'the clients keep starting their own copies', replace: false },
  ];
  return (await vscode.window.showQuickPick(items, { title: 'Import MCP servers: and the clients?' }))?.replace;
}

/**
 * `<server>.<KEY>`: one secret per server and variable, so importing never overwrites another server's secret; a
 * server name that starts with a digit gets a leading `_` (secret names start with a letter or `_`).
 */
function secretName(server: string, key: string): string {
  const name = `${server}.${key}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  return /^[A-Za-z_]/.test(name) ? name : `_${name}`;
}

function badSource(s: string): ImportSource {
  throw new SharedMcpError('USAGE', `unknown client "${s}" (one of: ${IMPORT_SOURCES.join(', ')})`);
}
