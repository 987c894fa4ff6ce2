import * as vscode from 'vscode';
import type { HostConnection } from '../client/hostConnection';
import type { LogLine } from '../shared/controlTypes';

/** Lines of history a channel starts with. */
export const LOG_HISTORY_LINES = 500;

interface Channel {
  output: vscode.LogOutputChannel;
  follow: { dispose(): void } | undefined;
  /** The host client the follow belongs to: a new host (restart, reconnect) needs a new follow. */
  client: unknown;
}

/** One LogOutputChannel per server, created when first shown, filled from the host's log stream (history, then live). */
export class LogChannels implements vscode.Disposable {
  private readonly channels = new Map<string, Channel>();
  private readonly subscription: vscode.Disposable;
  private readonly onDidWriteEmitter = new vscode.EventEmitter<{ server: string; line: LogLine }>();
  /** A line went into a channel (a channel's text cannot be read back through the API). */
  readonly onDidWrite = this.onDidWriteEmitter.event;

  constructor(private readonly connection: HostConnection) {
    // A new host (restart, reconnect) has a new stream: follow it again, from now on.
    this.subscription = connection.onDidChange((s) => {
      if (s.phase !== 'connected') return;
      for (const [name, channel] of this.channels) if (channel.client !== connection.client) this.follow(name, channel, channel.client === undefined ? LOG_HISTORY_LINES : 0);
    });
  }

  /** Shows the server's channel, creating and filling it on first use. */
  show(server: string): vscode.LogOutputChannel {
    let channel = this.channels.get(server);
    if (!channel) {
      channel = { output: vscode.window.createOutputChannel(`Shared MCP: ${server}`, { log: true }), follow: undefined, client: undefined };
      this.channels.set(server, channel);
      this.follow(server, channel, LOG_HISTORY_LINES);
    }
    channel.output.show(true);
    return channel.output;
  }

  dispose(): void {
    this.subscription.dispose();
    this.onDidWriteEmitter.dispose();
    for (const { output, follow } of this.channels.values()) {
      follow?.dispose();
      output.dispose();
    }
    this.channels.clear();
  }

  private follow(server: string, channel: Channel, tail: number): void {
    const client = this.connection.client;
    if (!client) return;
    channel.follow?.dispose();
    channel.client = client;
    const handle = client.followLogs(
      server,
      tail,
      (line) => {
        write(channel.output, line);
        this.onDidWriteEmitter.fire({ server, line });
      },
      () => {
        if (channel.follow === handle) channel.follow = undefined;
      },
    );
    channel.follow = handle;
  }
}

/** Servers write their own logs to stderr (stdout is the protocol), so stderr is not a warning level. */
function write(output: vscode.LogOutputChannel, line: LogLine): void {
  output.info(line.stream === 'host' ? `[host] ${line.text}` : line.text);
}
