/**
 * Entry of dist/host.js: the gateway host process. Only this file handles signals and exits.
 * Usage: node host.js [--foreground] [--config <file>]   (home from env SHARED_MCP_HOME, default ~/.shared-mcp)
 */
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { detach } from '../shared/detach';
import { HOST_RUNNING_EXIT_CODE, toSharedMcpError } from '../shared/errors';
import { resolveHome } from '../shared/homePaths';
import { GatewayHost } from './gatewayHost';

const FORCE_EXIT_AFTER_MS = 1000;
/** The exit code after an internal error (EX_SOFTWARE). */
const INTERNAL_ERROR_EXIT_CODE = 70;

/** 128 + the signal's number, as a shell reports a process ended by that signal (SIGTERM: 143). */
function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + (constants.signals[signal] ?? 0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { foreground: { type: 'boolean', default: false }, config: { type: 'string' } }, strict: true });
  const configPath = values.config !== undefined ? path.resolve(values.config) : undefined;
  if (configPath !== undefined && !existsSync(configPath)) throw new Error(`config file not found: ${configPath}`);
  let host: GatewayHost | undefined;
  let firstSignal: { signal: NodeJS.Signals; at: number } | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    // The same signal often arrives twice at once (sent to the process group and forwarded by `serve`): only a
    // repeat a while later means "stop now", and even then every server process is killed first.
    if (firstSignal === undefined) {
      firstSignal = { signal, at: Date.now() };
      if (host) detach(host.shutdown(`received ${signal}`), (err) => host?.logUnexpected('shutdown', err));
    } else if (Date.now() - firstSignal.at > FORCE_EXIT_AFTER_MS) {
      host?.killServersNow();
      process.exit(signalExitCode(signal));
    }
  };
  // Installed before start-up: a signal during it is honoured as soon as the host exists.
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
  // A daemon that serves every client on the machine must not die of one stray rejection: log it and go on.
  process.on('unhandledRejection', (err) => host?.logUnexpected('unhandled rejection', err));
  // After an exception the state cannot be trusted: stop cleanly if possible, kill every server if not.
  process.on('uncaughtException', (err) => {
    host?.logUnexpected('uncaught exception', err);
    setTimeout(() => {
      host?.killServersNow();
      process.exit(INTERNAL_ERROR_EXIT_CODE);
    }, FORCE_EXIT_AFTER_MS * 10).unref();
    // shutdown() never rejects; without a host there is nothing to stop.
    detach((host?.shutdown('internal error') ?? Promise.resolve()).finally(() => process.exit(INTERNAL_ERROR_EXIT_CODE)), () => process.exit(INTERNAL_ERROR_EXIT_CODE));
  });
  host = await GatewayHost.start({
    home: resolveHome(),
    configPath,
    foreground: values.foreground ?? false,
    shellEnv: process.env.SHARED_MCP_SHELL_ENV !== '0',
  });
  const started = host;
  if (firstSignal) detach(started.shutdown(`received ${firstSignal.signal}`), (err) => started.logUnexpected('shutdown', err));
  await host.closed;
  // A shutdown asked for over the control API is a normal end; one caused by a signal says which.
  process.exit(firstSignal ? signalExitCode(firstSignal.signal) : 0);
}

main().catch((err: unknown) => {
  const e = toSharedMcpError(err);
  process.stderr.write(`shared-mcp host: ${e.message}\n`);
  if (process.env.SHARED_MCP_DEBUG === '1' && err instanceof Error) process.stderr.write(`${err.stack}\n`);
  process.exit(e.code === 'HOST_RUNNING' ? HOST_RUNNING_EXIT_CODE : 1);
});
