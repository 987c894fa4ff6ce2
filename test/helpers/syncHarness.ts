import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { clientTarget, type ClientEnvironment, type ClientId } from '../../src/shared/clients/clientTargets';
import type { HostEvent } from '../../src/shared/controlTypes';
import { homePaths, type HomePaths } from '../../src/shared/homePaths';
import { SyncService } from '../../src/host/sync/syncService';
import { ROOT } from './hostHarness';

export const GOLDEN_DIR = path.join(ROOT, 'test', 'fixtures', 'clientConfigs');
export const TOKEN = 'a'.repeat(64);

/** The fixture file of each client (input) and its golden after a sync of `memory` and `github`. */
export const FIXTURE: Record<ClientId, string> = {
  claude: 'claude.json',
  codex: 'codex.toml',
  cursor: 'cursor.json',
  gemini: 'gemini.json',
  windsurf: 'windsurf.json',
  'claude-desktop': 'claude-desktop.json',
};

/** The Claude Code entry the sync writes for a server at a port. */
export function claudeEntry(port = 19100, name = 'memory'): Record<string, unknown> {
  return { type: 'http', url: `http://127.0.0.1:${port}/mcp/${name}`, headers: { Authorization: `Bearer ${TOKEN}` } };
}

/** The realistic ~/.claude.json of the golden files, as the user had it. */
export function claudeOriginal(): Promise<string> {
  return fs.readFile(path.join(GOLDEN_DIR, 'claude.json'), 'utf8');
}

export function goldenName(id: ClientId, variant: string): string {
  const f = FIXTURE[id];
  const ext = path.extname(f);
  return `${f.slice(0, -ext.length)}.${variant}${ext}`;
}

/** A temp Shared MCP home and a fake user home whose client files the SyncService under test writes. */
export class SyncSandbox {
  readonly events: HostEvent[] = [];
  servers: string[] = ['memory', 'github'];
  port = 19100;
  syncClients: 'auto' | string[] = 'auto';
  readonly service: SyncService;

  private constructor(
    readonly root: string,
    readonly paths: HomePaths,
    readonly clientEnv: ClientEnvironment,
  ) {
    this.service = new SyncService({
      paths,
      clientEnv,
      log: { info: () => undefined, warn: () => undefined },
      servers: () => this.servers,
      endpoint: (name) => `http://127.0.0.1:${this.port}/mcp/${name}`,
      token: () => TOKEN,
      syncClients: () => this.syncClients,
      bridge: (name) => ({ command: '/usr/bin/node', args: ['/home/me/.shared-mcp/runtime/0.1.0/cli.js', 'bridge', name] }),
      emit: (e) => this.events.push(e),
    });
  }

  static async create(): Promise<SyncSandbox> {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'shared-mcp-sync-'));
    const paths = homePaths(path.join(root, 'shared-mcp'));
    await fs.mkdir(paths.state, { recursive: true });
    await fs.writeFile(paths.token, `${TOKEN}\n`);
    const userHome = path.join(root, 'home');
    await fs.mkdir(userHome);
    const env = { HOME: userHome, XDG_CONFIG_HOME: path.join(userHome, '.config') };
    return new SyncSandbox(root, paths, { env, platform: 'linux' });
  }

  file(id: ClientId): string {
    return clientTarget(id, this.clientEnv).file;
  }

  /** Puts text at a client's file (making its folder, so the client counts as installed). */
  async put(id: ClientId, text: string | Buffer): Promise<string> {
    const file = this.file(id);
    await fs.mkdir(path.dirname(file), { recursive: true });
    await fs.writeFile(file, text);
    return file;
  }

  read(id: ClientId): Promise<string> {
    return fs.readFile(this.file(id), 'utf8');
  }

  async dispose(): Promise<void> {
    await this.service.close();
    await fs.rm(this.root, { recursive: true, force: true });
  }
}
