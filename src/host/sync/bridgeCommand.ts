import { existsSync } from 'node:fs';
import * as path from 'node:path';
import type { BridgeCommand } from '../../shared/clients/clientTargets';
import { resolveHome } from '../../shared/homePaths';

/**
 * What a stdio-only client (Claude Desktop) runs to reach a shared server: this host's runtime with the CLI copied
 * beside the host bundle (home/runtime/<version>/cli.js, which no extension update removes), `bridge <name>`.
 * Undefined when no CLI sits beside this host (a host started by an older ensureHost, which copied only host.js).
 */
export function bridgeCommand(home: string, name: string): BridgeCommand | undefined {
  const cli = path.join(__dirname, 'cli.js');
  if (!existsSync(cli)) return undefined;
  const env: Record<string, string> = {};
  if (path.resolve(home) !== resolveHome({})) env.SHARED_MCP_HOME = home;
  // An editor's own runtime (Electron) runs scripts only as Node with this set.
  if (process.versions.electron) env.ELECTRON_RUN_AS_NODE = '1';
  return { command: process.execPath, args: [cli, 'bridge', name], ...(Object.keys(env).length > 0 ? { env } : {}) };
}
