import { SharedMcpError } from '../shared/errors';
import type { SecretInfo, SecretsUpdateResult } from '../shared/controlTypes';
import { SECRET_NAME_RULE, isSecretName } from '../shared/secretName';
import { connect, running, type CliContext, type Flags } from './commands';
import { readSecretValue } from './readSecretValue';

const USAGE = 'usage: shared-mcp secret set NAME | secret delete NAME | secret list [--json] (the value of set is read from stdin, or asked for in a terminal)';

/** `secret set NAME` (value from stdin or a hidden prompt), `secret delete NAME`, `secret list`: in the running host's memory, never printing a value. */
export async function secret(ctx: CliContext, args: string[], flags: Flags): Promise<number> {
  const [sub, ...names] = args;
  if (sub === 'list') {
    if (names.length > 0) throw new SharedMcpError('USAGE', USAGE);
    const { secrets } = await (await running(ctx)).secrets();
    if (flags.json) ctx.out(JSON.stringify({ secrets }, null, 2));
    else if (secrets.length === 0) ctx.err('no secrets: none is set, and no server refers to one (use "${secret:NAME}" in a server\'s env or headers)');
    else ctx.out(formatSecrets(secrets));
    return 0;
  }
  if (sub !== 'set' && sub !== 'delete') throw new SharedMcpError('USAGE', USAGE);
  if (names.length !== 1) {
    throw new SharedMcpError('USAGE', sub === 'set' && names.length > 1 ? 'secret set takes only a NAME: the value is read from stdin (or asked for), never from the command line, where other users and your shell history would see it' : USAGE);
  }
  const name = names[0];
  if (!isSecretName(name)) throw new SharedMcpError('USAGE', `invalid secret name "${name}": ${SECRET_NAME_RULE}`);
  // Asked before the host is started or found: a cancelled prompt touches nothing.
  const value = sub === 'set' ? await readSecretValue(name, process.stdin, process.stderr) : undefined;
  const { client } = await connect(ctx);
  const result = await client.setSecrets(value !== undefined ? { set: { [name]: value } } : { delete: [name] });
  if (flags.json) ctx.out(JSON.stringify(result, null, 2));
  if (sub === 'delete' && !result.changed.includes(name)) {
    ctx.err(`secret ${name} is not set`);
    return 1;
  }
  if (!flags.json) ctx.out(describe(sub, name, result));
  return 0;
}

function describe(verb: 'set' | 'delete', name: string, result: SecretsUpdateResult): string {
  const users = result.secrets.find((s) => s.name === name)?.servers ?? [];
  if (verb === 'delete') return `${name} deleted${users.length > 0 ? `; ${users.join(', ')} cannot start until it is set again` : ''}`;
  const what = result.changed.includes(name) ? 'set' : 'unchanged (the host already had this value)';
  return `${name} ${what}; ${users.length > 0 ? `used by ${users.join(', ')}` : `no server refers to it yet (use "\${secret:${name}}" in a server's env or headers)`}`;
}

/** NAME  set|missing  servers, in columns. */
function formatSecrets(secrets: SecretInfo[]): string {
  const width = Math.max(4, ...secrets.map((s) => s.name.length));
  const rows = secrets.map((s) => `${s.name.padEnd(width)}  ${(s.set ? 'set' : 'missing').padEnd(7)}  ${s.servers.join(', ') || '-'}`);
  return [`${'NAME'.padEnd(width)}  ${'STATE'.padEnd(7)}  SERVERS`, ...rows].join('\n');
}
