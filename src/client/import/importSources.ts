import * as path from 'node:path';
import { CLIENT_LABELS, SYNC_CLIENTS, appDataDir, clientTarget, type ClientEnvironment, type ClientId } from '../../shared/clients/clientTargets';

/** Every client we import from: the synced ones, and VS Code (whose servers we give it through our provider). */
export const IMPORT_SOURCES = [...SYNC_CLIENTS, 'vscode'] as const;
export type ImportSource = (typeof IMPORT_SOURCES)[number];

/** user: the client's own settings; project: a file in a project folder; local: Claude Code's per-project entries in ~/.claude.json. */
export type ImportScope = 'user' | 'project' | 'local';

/** One file that may hold servers, and where in it. */
export interface SourceFile {
  source: ImportSource;
  scope: ImportScope;
  file: string;
  format: 'json' | 'toml';
  /** The key that holds servers by name. */
  container: string;
  /** The project a project-scope file belongs to (its servers run there). */
  project?: string;
}

export const SOURCE_LABELS: Record<ImportSource, string> = { ...CLIENT_LABELS, vscode: 'VS Code' };

/** Parses a source as users type it (`claude-code` is `claude`, `code` is `vscode`); undefined when unknown. */
export function parseImportSource(text: string): ImportSource | undefined {
  const id = text.trim().toLowerCase();
  const alias: Record<string, ImportSource> = { 'claude-code': 'claude', code: 'vscode', 'vs-code': 'vscode', desktop: 'claude-desktop' };
  if (alias[id]) return alias[id];
  return (IMPORT_SOURCES as readonly string[]).includes(id) ? (id as ImportSource) : undefined;
}

export interface SourceOptions {
  /** Project folders whose own MCP files count too (the CLI's working folder, the editor's workspace folders). */
  projects: string[];
  /** VS Code's User folder (the extension knows its own; the CLI assumes the desktop default). */
  vscodeUserDir?: string;
}

/**
 * The files each client reads servers from on this machine, user scope first. Claude Code's per-project ("local")
 * entries live inside ~/.claude.json and are found when that file is read.
 */
export function importSourceFiles(sources: readonly ImportSource[], e: ClientEnvironment, options: SourceOptions): SourceFile[] {
  const files: SourceFile[] = [];
  for (const source of sources) {
    if (source === 'vscode') {
      const userDir = options.vscodeUserDir ?? path.join(appDataDir(e), 'Code', 'User');
      files.push({ source, scope: 'user', file: path.join(userDir, 'mcp.json'), format: 'json', container: 'servers' });
      continue;
    }
    const t = clientTarget(source as ClientId, e);
    files.push({ source, scope: 'user', file: t.file, format: t.format, container: t.container });
  }
  // A project folder that is the home itself (a terminal in ~) would read the user files again, as project files.
  const userFiles = new Set(files.map((f) => path.resolve(f.file)));
  for (const project of options.projects) {
    const inProject = (source: ImportSource, rel: string, container = 'mcpServers'): void => {
      const file = path.join(project, rel);
      if (sources.includes(source) && !userFiles.has(path.resolve(file))) files.push({ source, scope: 'project', file, format: 'json', container, project });
    };
    inProject('claude', '.mcp.json');
    inProject('cursor', path.join('.cursor', 'mcp.json'));
    inProject('gemini', path.join('.gemini', 'settings.json'));
    inProject('vscode', path.join('.vscode', 'mcp.json'), 'servers');
  }
  return files;
}
