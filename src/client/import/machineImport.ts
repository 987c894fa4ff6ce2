import { addServersToConfig } from '../../shared/config/configEdit';
import { readConfiguredServers, updateConfigFile } from '../../shared/config/configFile';
import type { SyncResult } from '../../shared/controlTypes';
import { SharedMcpError } from '../../shared/errors';
import type { ControlClient } from '../controlClient';
import { importSourceFiles, type ImportSource } from './importSources';
import type { NormalizeOptions } from './normalizeServer';
import { planImport, replaceTargets, type ImportCandidate, type ImportPlan } from './planImport';
import { readClientServers } from './readClientServers';

export interface MachineImportOptions {
  sources: readonly ImportSource[];
  /** Project folders whose own MCP files count too. */
  projects: string[];
  vscodeUserDir?: string;
  configPath: string;
  /** The client token (the host's, or home/token's when no host runs): entries that carry it are the host's own. */
  token: string | undefined;
  secret?: NormalizeOptions['secret'];
}

/** What the MCP clients on this machine start themselves, planned against config.jsonc (the CLI's and the extension's import). */
export async function planMachineImport(o: MachineImportOptions): Promise<ImportPlan> {
  const read = await readClientServers(importSourceFiles(o.sources, { env: process.env, platform: process.platform }, { projects: o.projects, vscodeUserDir: o.vscodeUserDir }));
  return planImport(read, await readConfiguredServers(o.configPath), { ourToken: o.token, ...(o.secret ? { secret: o.secret } : {}) });
}

/**
 * Adds the chosen servers to config.jsonc (comments kept), has the host apply it, and with `replace` points each
 * client's own entry of an imported or already present server at the shared one. `targets` says which entries that
 * is (also when `replace` is off, so a caller can tell the user).
 */
export async function applyImport(client: ControlClient, configPath: string, chosen: ImportCandidate[], present: ImportCandidate[], replace: boolean): Promise<{ sync?: SyncResult; targets: Record<string, string[]> }> {
  if (chosen.length > 0) await updateConfigFile(configPath, (text) => addServersToConfig(text, chosen.map((c) => ({ name: c.name, entry: c.entry }))));
  const reloaded = await client.reload();
  if (reloaded.type === 'config-error') throw new SharedMcpError('CONFIG_INVALID', `the host could not apply the config: ${reloaded.message}`);
  const targets = replaceTargets([...chosen, ...present]);
  if (!replace || Object.keys(targets).length === 0) return { targets };
  return { sync: await client.sync({ replace: targets }), targets };
}
