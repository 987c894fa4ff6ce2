// In-memory stand-ins for what a supervisor starts (an injectable openBackend and its backends), for fast unit tests of
// its lifecycle; the integration tests use real processes.
import { Emitter } from '../../src/shared/emitter';
import type { ServerDefinition } from '../../src/shared/config/configTypes';
import type { Backend, OversizedMessage } from '../../src/host/backends/backend';
import type { InitializeResult, JsonRpcMessage } from '../../src/host/backends/jsonRpc';
import type { OpenBackendOptions } from '../../src/host/backends/openBackend';
import type { RotatingFile } from '../../src/host/logs/rotatingFile';
import { ServerLog } from '../../src/host/logs/serverLog';
import type { SupervisorDeps } from '../../src/host/supervisor/serverSupervisor';
import { parseConfig } from '../../src/shared/config/loadConfig';
import type { FakeClock } from './fakeClock';

/** A promise with its resolve and reject in hand. */
export class Deferred<T> {
  resolve!: (value: T) => void;
  reject!: (err: Error) => void;
  readonly promise = new Promise<T>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });
}

/** A backend in memory: records what it is sent and closed with; exit() plays a crash; like a real one, it fires onDidExit once, close() included. */
export class FakeBackend implements Backend {
  readonly pid = null;
  readonly serverInfo = { name: 'fake', version: '1' };
  readonly initializeResult: InitializeResult = { protocolVersion: '2025-11-25', capabilities: {}, serverInfo: this.serverInfo };
  private readonly exitEmitter = new Emitter<string>();
  readonly onDidExit = this.exitEmitter.event;
  readonly sent: JsonRpcMessage[] = [];
  closed = false;
  private exited = false;
  /** When set, close() waits for it (a slow stop). */
  closing: Deferred<void> | undefined;

  constructor(
    readonly id: number,
    readonly options: OpenBackendOptions,
    private readonly events: string[],
  ) {}

  attach(_onMessage: (msg: JsonRpcMessage) => void, _onOversized?: (m: OversizedMessage) => void): void {
    // nothing arrives from a fake server
  }

  send(msg: JsonRpcMessage): void {
    this.sent.push(msg);
  }

  request(): Promise<Record<string, unknown>> {
    return Promise.resolve({});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.events.push(`close ${this.id}`);
    if (this.closing) await this.closing.promise;
    this.events.push(`closed ${this.id}`);
    this.exit('exited with signal SIGTERM');
  }

  exit(reason = 'exited with code 1'): void {
    if (this.exited) return;
    this.exited = true;
    this.exitEmitter.fire(reason);
  }
}

/** Hands out fake backends: each open waits until the test settles it (or settles at once with `auto`). */
export class FakeOpener {
  readonly events: string[] = [];
  readonly backends: FakeBackend[] = [];
  readonly waiting: Array<{ backend: FakeBackend; opened: Deferred<Backend> }> = [];
  auto = true;
  /** When set, the next opens fail with it. */
  failWith: Error | undefined;

  readonly open = (_def: ServerDefinition, options: OpenBackendOptions): Promise<Backend> => {
    const backend = new FakeBackend(this.backends.length + 1, options, this.events);
    this.backends.push(backend);
    this.events.push(`open ${backend.id}`);
    if (this.failWith) return Promise.reject(this.failWith);
    if (this.auto) return Promise.resolve(backend);
    const opened = new Deferred<Backend>();
    this.waiting.push({ backend, opened });
    return opened.promise;
  };

  get last(): FakeBackend {
    return this.backends[this.backends.length - 1];
  }
}

/** A server definition as the loader makes it, from a config entry. */
export function definition(entry: Record<string, unknown> = {}, name = 'srv'): ServerDefinition {
  return parseConfig(JSON.stringify({ mcpServers: { [name]: { command: 'fake-server', ...entry } } }), '/tmp/config.jsonc').servers[0];
}

/** A ServerLog that keeps lines in memory only. */
export function memoryLog(clock?: FakeClock): ServerLog {
  const file = { write: () => undefined, close: () => undefined } as unknown as RotatingFile;
  return new ServerLog(file, clock ? { clock } : {});
}

/** Supervisor dependencies around a fake opener and clock. */
export function fakeDeps(opener: FakeOpener, clock: FakeClock, extra: Partial<SupervisorDeps> = {}): SupervisorDeps {
  return {
    log: memoryLog(clock),
    tracker: { add: () => undefined, remove: () => undefined, observe: () => undefined },
    baseEnv: () => Promise.resolve({}),
    secrets: () => undefined,
    stopGraceMs: () => 0,
    initParams: () => ({ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'test', version: '1' } }),
    maxMessageBytes: () => 1024 * 1024,
    openBackend: opener.open,
    clock,
    ...extra,
  };
}
