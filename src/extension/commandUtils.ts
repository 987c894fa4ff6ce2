import * as vscode from 'vscode';
import type { ControlClient } from '../client/controlClient';
import type { HostConnection } from '../client/hostConnection';
import { SharedMcpError, toSharedMcpError } from '../shared/errors';
import { inBackground } from './background';

/** What commands need of the extension. */
export interface CommandContext {
  home: string;
  connection: HostConnection;
  /** Starts the host when none runs (and connects to it). */
  startHost(): Promise<void>;
}

/** Registers a command whose failures become one error message with a way to the host log. */
export function registerSafe(id: string, fn: (...args: never[]) => Promise<unknown>): vscode.Disposable {
  return vscode.commands.registerCommand(id, async (...args: never[]) => {
    try {
      return await fn(...args);
    } catch (err) {
      inBackground(reportError(err), 'showing an error');
      return undefined;
    }
  });
}

/** A spinner on the status bar while the host works (a start may include an npx download). */
export function busy<T>(title: string, fn: () => Promise<T>): Thenable<T> {
  return vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Shared MCP: ${title}` }, fn);
}

/** The host's client, starting the host when none runs. */
export async function control(ctx: CommandContext): Promise<ControlClient> {
  if (!ctx.connection.client) await ctx.startHost();
  return connected(ctx);
}

/** The host's client, or the reason there is none (connecting never throws: it records why in the snapshot). */
export function connected(ctx: CommandContext): ControlClient {
  const client = ctx.connection.client;
  if (!client) throw new SharedMcpError('HOST_UNREACHABLE', ctx.connection.snapshot.error ?? 'the gateway host is not running');
  return client;
}

/** One message per error, with a way to the logs. */
export async function reportError(err: unknown): Promise<void> {
  const e = toSharedMcpError(err);
  const pick = await vscode.window.showErrorMessage(`Shared MCP: ${e.message}`, 'Show Logs');
  if (pick === 'Show Logs') await vscode.commands.executeCommand('sharedMcp.showHostLog');
}
