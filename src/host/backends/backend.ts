import type { Event } from '../../shared/emitter';

export interface ServerInfo {
  name: string;
  version: string;
}

/** The host's live connection to one server, stdio process or remote; what the supervisor needs of either. */
export interface Backend {
  /** The server's process (stdio); null for a remote server. */
  readonly pid: number | null;
  /** What the server reported in MCP initialize. */
  readonly serverInfo: ServerInfo | null;
  /** Fires once, with a reason, when the process exits or the connection is lost. */
  readonly onDidExit: Event<string>;
  /** Stops the process tree or closes the connection; idempotent. */
  close(graceMs: number): Promise<void>;
}
