import type { Server } from 'node:http';
import type { Disposable } from '../shared/emitter';
import type { ShutdownStep } from './shutdownSequence';

/** How long one shutdown step may take before the next one runs anyway (stopping servers gets their grace too). */
export const STEP_TIMEOUT_MS = 10_000;

/** The parts of a host a shutdown stops, each with the one call that stops it. */
export interface StoppableHost {
  listener: Server;
  announce(): void;
  watches: Array<Disposable | undefined>;
  sync: { close(): Promise<void> };
  servers: { close(): Promise<void>; killAllNow(): void };
  /** Ends every session and saves them for the next host. */
  sessions: { close(): Promise<void> };
  secrets: { close(): Promise<void> };
  /** Says in host.json that this host is on its way out, so the next one waits for it instead of racing it. */
  markStopping(): Promise<void> | void;
  releaseRegistry(): Promise<void> | void;
  /** settings.stopGrace: each server gets it before SIGKILL. */
  stopGraceMs: number;
}

/**
 * The order of a host's shutdown: first host.json says it is stopping and no new connection gets in (ensureHost then
 * starts the next host, which waits for this one to exit), last host.json goes; every server stopped before the
 * sessions are saved, every stream ended before the connections close.
 */
export function hostShutdownSteps(h: StoppableHost): ShutdownStep[] {
  let listenerClosed: Promise<void> = Promise.resolve();
  const step = (name: string, run: ShutdownStep['run'], timeoutMs = STEP_TIMEOUT_MS): ShutdownStep => ({ name, run, timeoutMs });
  return [
    step('mark host.json as stopping', () => h.markStopping()),
    step('stop accepting connections', () => void (listenerClosed = new Promise<void>((resolve) => h.listener.close(() => resolve())))),
    step('announce', () => h.announce()),
    step('stop watching files', () => h.watches.forEach((w) => w?.dispose())),
    step('finish client sync', () => h.sync.close()),
    // The servers stop in parallel, each with its grace period, then SIGKILL.
    step('stop servers', () => h.servers.close(), 2 * h.stopGraceMs + STEP_TIMEOUT_MS),
    // What a stop that failed or ran out of time left (nothing, after a clean stop): no process outlives its host.
    step('kill what is left', () => h.servers.killAllNow()),
    step('end sessions and save them', () => h.sessions.close()),
    step('save secrets', () => h.secrets.close()),
    step('close connections', () => (h.listener.closeAllConnections(), listenerClosed)),
    step('release host.json', () => h.releaseRegistry()),
  ];
}
