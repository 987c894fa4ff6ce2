import { IMPORT_SOURCES, parseImportSource, type ImportSource } from '../client/import/importSources';
import { applyImport, planMachineImport } from '../client/import/machineImport';
import { notReplaced, type ImportCandidate, type ImportPlan } from '../client/import/planImport';
import { ControlClient } from '../client/controlClient';
import { describeSync } from '../shared/clients/describeSync';
import { readClientTokenFile } from '../shared/clientToken';
import { SharedMcpError } from '../shared/errors';
import { findHost } from '../shared/healthCheck';
import { homePaths } from '../shared/homePaths';
import { connect, type CliContext, type Flags } from './commands';

/**
 * `import`: every stdio server the MCP clients on this machine start themselves goes into config.jsonc under its
 * own name (comments kept); with --replace, each client's entry then points at the shared server instead (unsync
 * puts the original back). Exit 1 when a client file could not be written.
 */
export async function importServers(ctx: CliContext, args: string[], flags: Flags): Promise<number> {
  if (args.length > 0) throw new SharedMcpError('USAGE', 'import takes no names: choose clients with --from (claude, codex, cursor, gemini, windsurf, claude-desktop, vscode)');
  const sources = flags.from.length > 0 ? flags.from.map(source) : [...IMPORT_SOURCES];
  const paths = homePaths(ctx.home);
  const running = await findHost(ctx.home);
  const control = running ? new ControlClient(running) : undefined;
  const configPath = control ? ((await control.status()).host?.configPath ?? paths.config) : paths.config;
  const token = control ? await control.clientToken() : await readClientTokenFile(paths.token).catch(() => undefined);
  const plan = await planMachineImport({ sources, projects: [process.cwd()], configPath, token });
  if (!flags.json) printPlan(ctx, plan, configPath);
  if (flags.dryRun) {
    if (flags.json) ctx.out(JSON.stringify({ plan: summary(plan) }, null, 2));
    else ctx.out('dry run: nothing was changed');
    return 0;
  }
  const { client } = await connect(ctx);
  const { sync, targets } = await applyImport(client, configPath, plan.add, plan.present, flags.replace);
  if (flags.json) {
    ctx.out(JSON.stringify({ plan: summary(plan), ...(sync ? { sync } : {}) }, null, 2));
  } else {
    for (const r of sync?.clients ?? []) ctx.out(describeSync(r));
    for (const i of flags.replace ? notReplaced([...plan.add, ...plan.present]) : []) ctx.err(`note: ${i.name} in ${i.where} (${i.file}): ${i.reason}`);
    if (!flags.replace && Object.keys(targets).length > 0) {
      ctx.err('your clients still start their own copies: `shared-mcp import --replace` points them at the shared servers (`shared-mcp unsync` gives the originals back)');
    }
  }
  return sync?.clients.some((r) => r.status === 'error') ? 1 : 0;
}

function source(text: string): ImportSource {
  const s = parseImportSource(text);
  if (!s) throw new SharedMcpError('USAGE', `unknown client "${text}" for --from (one of: ${IMPORT_SOURCES.join(', ')})`);
  return s;
}

function printPlan(ctx: CliContext, plan: ImportPlan, configPath: string): void {
  const from = (c: ImportCandidate): string => [...new Set(c.from.map((f) => f.file))].join(', ');
  for (const c of plan.add) ctx.out(`+ ${c.name}: ${[c.entry.command, ...((c.entry.args as string[] | undefined) ?? [])].join(' ')}  (from ${from(c)})`);
  for (const c of plan.present) ctx.out(`= ${c.name}: already in Shared MCP  (${from(c)})`);
  for (const c of plan.add) for (const n of c.notes) ctx.err(`note: ${c.name}: ${n}`);
  for (const i of plan.conflicts) ctx.err(`! ${i.name} in ${i.where} (${i.file}): ${i.reason}`);
  for (const i of plan.skipped) ctx.err(`- ${i.name} in ${i.where}: not imported, ${i.reason}`);
  for (const p of plan.problems) ctx.err(`! ${p.file}: ${p.message}; it was left alone`);
  if (plan.add.length === 0 && plan.present.length === 0) ctx.err('no stdio servers found to import');
  else if (plan.add.length > 0) ctx.out(`${plan.add.length} server(s) to ${configPath}`);
}

function summary(plan: ImportPlan): Record<string, unknown> {
  const one = (c: ImportCandidate): Record<string, unknown> => ({ name: c.name, entry: c.entry, from: c.from.map((f) => ({ client: f.source, scope: f.scope, file: f.file })), notes: c.notes });
  return { add: plan.add.map(one), present: plan.present.map(one), conflicts: plan.conflicts, skipped: plan.skipped, problems: plan.problems };
}
