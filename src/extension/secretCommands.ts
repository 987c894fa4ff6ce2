import * as vscode from 'vscode';
import type { HostConnection } from '../client/hostConnection';
import type { SecretInfo } from '../shared/controlTypes';
import { SharedMcpError } from '../shared/errors';
import { SECRET_NAME_RULE, isSecretName } from '../shared/secretName';
import { inBackground } from './background';
import type { Secrets } from './secrets';
import type { ServerNode } from './serversView';

export interface SecretCommandContext {
  connection: HostConnection;
  secrets: Secrets;
  /** Shows a command's error to the user (as every other command does). */
  reportError(err: unknown): Promise<void>;
}

/** A server's item (its secrets are offered), a secret's name, or {name, value} to set without a prompt (tests, other extensions). */
type SecretArg = ServerNode | string | { name: string; value?: string } | undefined;

/** Set Secret… and Delete Secret…: SecretStorage first, then the host's memory when one is connected. */
export function registerSecretCommands(ctx: SecretCommandContext): vscode.Disposable[] {
  const guarded =
    (fn: (arg: SecretArg) => Promise<string | undefined>) =>
    async (arg: SecretArg): Promise<string | undefined> => {
      try {
        return await fn(arg);
      } catch (err) {
        inBackground(ctx.reportError(err), 'showing an error');
        return undefined;
      }
    };
  return [vscode.commands.registerCommand('sharedMcp.setSecret', guarded((arg) => setSecret(ctx, arg))), vscode.commands.registerCommand('sharedMcp.deleteSecret', guarded((arg) => deleteSecret(ctx, arg)))];
}

async function setSecret(ctx: SecretCommandContext, arg: SecretArg): Promise<string | undefined> {
  const name = await secretName(ctx, arg, 'Set which secret?', (s) => !s.set);
  if (!name) return undefined;
  const preset = isPreset(arg) ? arg.value : undefined;
  const value =
    preset ??
    (await vscode.window.showInputBox({
      title: `Set Secret: ${name}`,
      prompt: `The value of \${secret:${name}}: kept in VS Code's secret storage and given to the gateway host, never written to a file`,
      password: true,
      ignoreFocusOut: true,
      validateInput: valueProblem,
    }));
  if (value === undefined) return undefined;
  const problem = valueProblem(value);
  if (problem) throw new SharedMcpError('BAD_REQUEST', `secret ${name}: ${problem}`);
  await ctx.secrets.set(name, value);
  const client = ctx.connection.client;
  // No host now: the value is pushed when one connects and reports the secret missing.
  if (client) {
    await client.setSecrets({ set: { [name]: value } });
    await ctx.connection.refresh();
  }
  void vscode.window.setStatusBarMessage(`Shared MCP: secret ${name} set`, 4000);
  return name;
}

async function deleteSecret(ctx: SecretCommandContext, arg: SecretArg): Promise<string | undefined> {
  const name = await secretName(ctx, arg, 'Delete which secret?', (s) => s.set);
  if (!name) return undefined;
  const client = ctx.connection.client;
  if (typeof arg !== 'string' && !isPreset(arg)) {
    const users = (await client?.secrets())?.secrets.find((s) => s.name === name)?.servers ?? [];
    const detail = users.length > 0 ? `${users.join(', ')} cannot start until it is set again.` : undefined;
    const confirmed = await vscode.window.showWarningMessage(`Delete the secret ${name} from VS Code and the gateway host?`, { modal: true, detail }, 'Delete');
    if (confirmed !== 'Delete') return undefined;
  }
  await ctx.secrets.delete(name);
  if (client) {
    await client.setSecrets({ delete: [name] });
    await ctx.connection.refresh();
  }
  void vscode.window.setStatusBarMessage(`Shared MCP: secret ${name} deleted`, 4000);
  return name;
}

function isPreset(arg: SecretArg): arg is { name: string; value?: string } {
  return typeof arg === 'object' && arg !== null && !('kind' in arg) && typeof arg.name === 'string';
}

function valueProblem(value: string): string | undefined {
  if (value === '') return 'Enter a value';
  if (value.includes('\0')) return 'A value cannot contain a NUL character';
  return undefined;
}

/** The name from the argument, else picked from the secrets the host knows of (a server item narrows them to its own). */
async function secretName(ctx: SecretCommandContext, arg: SecretArg, title: string, preferred: (s: SecretInfo) => boolean): Promise<string | undefined> {
  const given = typeof arg === 'string' ? arg : isPreset(arg) ? arg.name : undefined;
  if (given !== undefined) {
    if (!isSecretName(given)) throw new SharedMcpError('BAD_REQUEST', `invalid secret name "${given}": ${SECRET_NAME_RULE}`);
    return given;
  }
  const server = typeof arg === 'object' && 'kind' in arg && arg.kind === 'server' ? arg.server.name : undefined;
  const known = ((await ctx.connection.client?.secrets())?.secrets ?? []).filter((s) => server === undefined || s.servers.includes(server));
  const candidates = known.filter(preferred);
  // A needs-secret item with one missing secret: no question to ask.
  if (server !== undefined && candidates.length === 1) return candidates[0].name;
  const other = { label: '$(edit) Another name…', name: undefined };
  const items = [...[...candidates, ...known.filter((s) => !preferred(s))].map((s) => ({ label: s.name, description: s.set ? 'set' : 'missing', detail: s.servers.length > 0 ? `used by ${s.servers.join(', ')}` : 'no server refers to it', name: s.name })), other];
  const picked = known.length > 0 ? await vscode.window.showQuickPick(items, { title: server ? `${title} (${server})` : title, matchOnDetail: true }) : other;
  if (!picked) return undefined;
  if (picked.name !== undefined) return picked.name;
  return vscode.window.showInputBox({
    title,
    prompt: 'The secret\'s name, as in "${secret:NAME}" in a server\'s env or headers',
    placeHolder: 'GITHUB_TOKEN',
    validateInput: (v) => (isSecretName(v) ? undefined : `Not a valid name: ${SECRET_NAME_RULE}`),
  });
}
