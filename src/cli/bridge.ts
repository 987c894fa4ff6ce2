import * as path from 'node:path';
import { ControlClient } from '../client/controlClient';
import { ensureHost } from '../client/ensureHost';
import { McpRelay } from '../client/mcpRelay';
import type { McpTarget } from '../client/streamableHttpClient';
import { SharedMcpError } from '../shared/errors';
import { findHost } from '../shared/healthCheck';
import type { HostRegistry } from '../shared/registry';
import { VERSION } from '../shared/version';
import type { CliContext, Flags } from './commands';

/**
 * `bridge <server>`: a stdio MCP server for clients that speak only stdio (Claude Desktop). Relays every line of stdin
 * to the host's /mcp/<server> and everything back to stdout until stdin ends or the command is stopped; then ends the
 * session. Logs go to stderr only: stdout belongs to the protocol.
 */
export async function bridge(ctx: CliContext, names: string[], _flags: Flags): Promise<number> {
  if (names.length !== 1) throw new SharedMcpError('USAGE', 'bridge takes exactly one server name: shared-mcp bridge <server>');
  const server = names[0];
  const log = (text: string): void => ctx.err(`shared-mcp bridge ${server}: ${text}`);
  const start = async (): Promise<HostNotes> => {
    const handle = await ensureHost({ home: ctx.home, hostScript: path.join(ctx.distDir, 'host.js') });
    const notes: string[] = [];
    if (handle.started) notes.push(`started the host: pid ${handle.registry.pid}, port ${handle.registry.port}`);
    if (handle.versionMismatch) notes.push(`warning: the running host is v${handle.versionMismatch.host}, this bridge is v${VERSION}`);
    return { registry: handle.registry, notes };
  };
  // The client is read from the first moment: a modern client's probe is answered at once, while the host is still
  // being found or started. Everything else waits for that and for the server name to be known.
  const ready = firstContact(start, server, log);
  const stopped = new AbortController();
  const stop = (): void => stopped.abort();
  ctx.stop.addEventListener('abort', stop, { once: true });
  const write = stdoutWriter(stop);
  const relay = new McpRelay({
    locate: async (startIt) => {
      await ready;
      if (!startIt) {
        const found = await findHost(ctx.home);
        return found && targetOf(found, server);
      }
      const { registry, notes } = await start();
      notes.forEach(log);
      return targetOf(registry, server);
    },
    toClient: write,
    log,
  });
  const reading = readLines(process.stdin, (line) => relay.accept(line), stopped.signal);
  try {
    await ready;
    await reading;
  } catch (err) {
    stop();
    await reading;
    throw err;
  } finally {
    ctx.stop.removeEventListener('abort', stop);
    await relay.close();
  }
  return 0;
}

interface HostNotes {
  registry: HostRegistry;
  /** What to tell the user about the host (started, another version). */
  notes: string[];
}

/** Finds or starts the host and checks that it serves `server`; only then its notes are logged (a bad name gets one line). */
async function firstContact(start: () => Promise<HostNotes>, server: string, log: (text: string) => void): Promise<void> {
  const first = await start();
  const known = (await new ControlClient(first.registry).status()).servers.map((s) => s.name);
  if (!known.includes(server)) throw new SharedMcpError('UNKNOWN_SERVER', `unknown server: ${server} (configured: ${known.join(', ') || 'none'})`);
  first.notes.forEach(log);
}

/** Writes messages to stdout, one a line, until the client stops reading (then stop() and nothing more). */
function stdoutWriter(stop: () => void): (message: unknown) => void {
  // The client went away without closing our stdin first: nobody reads what we write.
  let outputGone = false;
  process.stdout.on('error', () => {
    outputGone = true;
    stop();
  });
  return (message) => void (!outputGone && process.stdout.write(`${JSON.stringify(message)}\n`));
}

/** The host's endpoint for a server, with the client token the host holds (a new host may have a new one). */
async function targetOf(reg: HostRegistry, server: string): Promise<McpTarget> {
  const token = await new ControlClient(reg).clientToken();
  const host = reg.address.includes(':') ? `[${reg.address}]` : reg.address;
  return { url: new URL(`http://${host}:${reg.port}/mcp/${encodeURIComponent(server)}`), token };
}

/** Calls onLine for each non-empty line until the input ends or fails, or stop aborts; then lets go of the input. */
function readLines(input: NodeJS.ReadStream, onLine: (line: string) => void, stop: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    let parts: string[] = [];
    const emit = (line: string): void => {
      const text = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (text.trim() !== '') onLine(text);
    };
    const finish = (): void => {
      stop.removeEventListener('abort', finish);
      input.removeAllListeners('data');
      input.destroy();
      resolve();
    };
    input.setEncoding('utf8');
    input.on('data', (chunk: string) => {
      let from = 0;
      for (let nl = chunk.indexOf('\n'); nl >= 0; nl = chunk.indexOf('\n', from)) {
        parts.push(chunk.slice(from, nl));
        emit(parts.join(''));
        parts = [];
        from = nl + 1;
      }
      if (from < chunk.length) parts.push(chunk.slice(from));
    });
    input.on('end', () => {
      emit(parts.join(''));
      finish();
    });
    input.on('error', finish);
    if (stop.aborted) finish();
    else stop.addEventListener('abort', finish, { once: true });
  });
}
