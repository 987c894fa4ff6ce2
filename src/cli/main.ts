/**
 * Entry of dist/cli.js: the `shared-mcp` command. Only this file handles exits.
 * Exit codes: 0 ok, 1 failure, 2 usage.
 */
import { parseArgs } from 'node:util';
import { SharedMcpError, toSharedMcpError } from '../shared/errors';
import { resolveHome } from '../shared/homePaths';
import { SERVER_NAME_RULE, isServerName } from '../shared/serverName';
import { VERSION } from '../shared/version';
import { bridge } from './bridge';
import * as commands from './commands';
import { importServers } from './importServers';
import * as syncCommands from './syncCommands';
import { secret } from './secretCommand';

const USAGE = `shared-mcp ${VERSION}: run every MCP server once per machine, shared by every MCP client

usage: shared-mcp <command> [options]

  serve [--config FILE] [--example]   run the host in the foreground (Ctrl-C stops it)
  up [server...]                      start the host if needed, then start servers
  down [server...] [--host]           stop servers; --host also stops the host
  restart [server...]                 restart servers (the host is started if needed)
  status [server...] [--json]         the host and every server: state, pid, memory, endpoint
  logs <server> [-f] [-n N]           a server's output; -f follows it
  sync [--client C]... [--dry-run] [--force]
                                      write every shared server into the MCP clients' configs
                                      (--dry-run prints the diff; --force replaces your entries of the same name)
  unsync [--client C]... [--dry-run]  take exactly those entries out again, putting back what they replaced
  import [--from C]... [--replace] [--dry-run]
                                      copy the clients' own stdio servers into the config (same names);
                                      --replace also points each client's entry at the shared server
  bridge <server>                     be a stdio MCP server relaying to the shared server (stdio-only clients)
  config path                         print the config file's path
  config validate [FILE]              check a config file, naming line, column and key
  secret set NAME                     set a secret for \${secret:NAME}: the value is read from stdin, or
                                      asked for without echo in a terminal (never from the command line)
  secret delete NAME                  delete a secret from the host
  secret list [--json]                the secrets: set or missing, and the servers that use them (no values)
  version                             print the version

options: --json (machine-readable output), --debug (stack traces)
home: $SHARED_MCP_HOME, default ~/.shared-mcp`;

type Command = (ctx: commands.CliContext, args: string[], flags: commands.Flags) => Promise<number>;

/**
 * A command that runs until stopped gets SIGTERM/SIGINT as ctx.stop instead of dying at once. `servers`: its
 * arguments are server names, checked against the one rule before anything is asked of the host.
 */
const COMMANDS: Record<string, { run: Command; flags: string[]; untilStopped?: boolean; servers?: boolean }> = {
  serve: { run: commands.serve, flags: ['config', 'example'] },
  up: { run: commands.up, flags: ['json'], servers: true },
  down: { run: commands.down, flags: ['json', 'host'], servers: true },
  restart: { run: commands.restart, flags: ['json'], servers: true },
  status: { run: commands.status, flags: ['json'], servers: true },
  logs: { run: commands.logs, flags: ['follow', 'lines'], untilStopped: true, servers: true },
  config: { run: commands.config, flags: ['json', 'config'] },
  sync: { run: syncCommands.sync, flags: ['json', 'dry-run', 'force', 'client'] },
  unsync: { run: syncCommands.unsync, flags: ['json', 'dry-run', 'client'] },
  import: { run: importServers, flags: ['json', 'dry-run', 'replace', 'from'] },
  secret: { run: secret, flags: ['json'] },
  bridge: { run: bridge, flags: [], untilStopped: true, servers: true },
};

/** After a command that ran until stopped returns, anything still pending (a host start it asked for) gets this long. */
const EXIT_GRACE_MS = 2_000;

async function main(argv: string[]): Promise<number> {
  const stopper = new AbortController();
  const ctx: commands.CliContext = {
    home: resolveHome(),
    distDir: __dirname,
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
    stop: stopper.signal,
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        json: { type: 'boolean', default: false },
        host: { type: 'boolean', default: false },
        follow: { type: 'boolean', short: 'f', default: false },
        lines: { type: 'string', short: 'n' },
        config: { type: 'string' },
        example: { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
        replace: { type: 'boolean', default: false },
        client: { type: 'string', multiple: true },
        from: { type: 'string', multiple: true },
        debug: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (err) {
    // Parse errors quote the offending word, which after `secret set` may be a value typed where it must not be.
    if (argv[0] === 'secret') throw new SharedMcpError('USAGE', 'secret: unknown option (see shared-mcp --help); a value is read from stdin, never from the command line');
    throw new SharedMcpError('USAGE', `${(err as Error).message.split('\n')[0]} (see shared-mcp --help)`);
  }
  const { values, positionals } = parsed;
  const [name, ...args] = positionals;
  if (values.version || name === 'version') return ctx.out(VERSION), 0;
  if (values.help || name === 'help' || name === undefined) {
    (name === undefined && !values.help ? ctx.err : ctx.out)(USAGE);
    return name === undefined && !values.help ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) throw new SharedMcpError('USAGE', `unknown command "${name}" (see shared-mcp --help)`);
  const given = (['json', 'host', 'follow', 'lines', 'config', 'example', 'dry-run', 'force', 'replace', 'client', 'from'] as const).filter((f) => values[f] !== undefined && values[f] !== false);
  const misplaced = given.filter((f) => !command.flags.includes(f));
  if (misplaced.length > 0) throw new SharedMcpError('USAGE', `${name} does not take --${misplaced[0]} (see shared-mcp --help)`);
  const badName = command.servers ? args.find((a) => !isServerName(a)) : undefined;
  if (badName !== undefined) throw new SharedMcpError('USAGE', `"${badName}" is not a valid server name: ${SERVER_NAME_RULE}`);
  const lines = values.lines === undefined ? 100 : Number(values.lines);
  if (!Number.isInteger(lines) || lines < 0) throw new SharedMcpError('USAGE', `-n takes a non-negative number, not "${values.lines}"`);
  if (command.untilStopped) {
    // The first signal asks the command to finish (end its session...); a second one does not wait for that.
    const stop = (): void => (stopper.signal.aborted ? process.exit(1) : stopper.abort());
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
  }
  const code = await command.run(ctx, args, {
    json: values.json ?? false,
    host: values.host ?? false,
    follow: values.follow ?? false,
    lines,
    config: values.config,
    example: values.example ?? false,
    dryRun: values['dry-run'] ?? false,
    force: values.force ?? false,
    replace: values.replace ?? false,
    clients: values.client ?? [],
    from: values.from ?? [],
  });
  // Such a command closed what it opened; this only cuts short what it could not cancel (a host start it had asked for).
  if (command.untilStopped) setTimeout(() => process.exit(code), EXIT_GRACE_MS).unref();
  return code;
}

const debug = process.argv.includes('--debug');
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    const e = toSharedMcpError(err);
    process.stderr.write(`shared-mcp: ${e.message}\n`);
    if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    process.exitCode = e.exitCode;
  },
);
