import type { Event } from '../../shared/emitter';
import type { InitializeResult, JsonRpcMessage, ServerInfo } from './jsonRpc';

export type { ServerInfo } from './jsonRpc';

/** A message from the server that the host could not pass on: it was over the size cap. */
export interface OversizedMessage {
  bytes: number;
  /** The message's top-level id when it could be recovered from its first or last bytes. */
  id: string | number | undefined;
}

/** The host's live connection to one server, stdio process or remote; what the supervisor and the mux need of either. */
export interface Backend {
  /** The server's process (stdio); null for a remote server. */
  readonly pid: number | null;
  /** What the server reported in MCP initialize. */
  readonly serverInfo: ServerInfo | null;
  /** The whole initialize result; the mux answers clients from it. */
  readonly initializeResult: InitializeResult | null;
  /** Fires once, with a reason, whatever ends the backend: the process exits, the connection is lost, or close(). */
  readonly onDidExit: Event<string>;
  /** Takes every message that is not an answer to the host's own requests; those that came before are replayed. One consumer. */
  attach(onMessage: (msg: JsonRpcMessage) => void, onOversized?: (m: OversizedMessage) => void): void;
  /**
   * Sends a message as is; dropped when the backend is gone (its exit fails what was in flight). Throws, sending
   * nothing, when this one message cannot go: PAYLOAD_TOO_LARGE over the server's maxMessageSize, SERVER_BUSY while
   * more than its maxQueueSize waits to be read, PARSE_ERROR when it cannot be serialized. Only its caller is affected.
   */
  send(msg: JsonRpcMessage): void;
  /**
   * A request of the host's own; rejects with RpcError on an error answer, SERVER_EXITED when the backend goes away,
   * TIMEOUT after timeoutMs. Past the deadline, or when signal aborts, it is cancelled at the server
   * (notifications/cancelled). Implementations pass both to their RpcChannel.
   */
  request(method: string, params: Record<string, unknown>, timeoutMs: number, signal?: AbortSignal): Promise<Record<string, unknown>>;
  /** Stops the process tree or closes the connection (onDidExit fires, once); idempotent. */
  close(graceMs: number): Promise<void>;
}

/**
 * Holds a backend's messages until its consumer attaches, so nothing sent right after initialize is lost. A
 * consumer that throws on one message is reported to onConsumerError and never reaches the backend's read loop (a
 * throw there, in a stream's data event, would end the host).
 */
export class Inbox {
  private static readonly MAX_QUEUED = 1000;
  private queue: JsonRpcMessage[] = [];
  private consumer: ((msg: JsonRpcMessage) => void) | undefined;
  oversized: ((m: OversizedMessage) => void) | undefined;

  constructor(private readonly onConsumerError: (err: unknown, msg: JsonRpcMessage) => void = reportConsumerError) {}

  push(msg: JsonRpcMessage): void {
    if (this.consumer) this.deliver(this.consumer, msg);
    else if (this.queue.length < Inbox.MAX_QUEUED) this.queue.push(msg);
  }

  attach(consumer: (msg: JsonRpcMessage) => void, oversized?: (m: OversizedMessage) => void): void {
    this.consumer = consumer;
    this.oversized = oversized;
    const queued = this.queue;
    this.queue = [];
    for (const m of queued) this.deliver(consumer, m);
  }

  private deliver(consumer: (msg: JsonRpcMessage) => void, msg: JsonRpcMessage): void {
    try {
      consumer(msg);
    } catch (err) {
      try {
        this.onConsumerError(err, msg);
      } catch {
        // a reporter that throws must not undo the guard
      }
    }
  }
}

/** The default report: a process warning (host.out), naming the message by method or id only. */
function reportConsumerError(err: unknown, msg: JsonRpcMessage): void {
  const what = String(msg.method ?? `the answer to ${String(msg.id)}`).slice(0, 100);
  process.emitWarning(`a message from a server (${what}) could not be handled: ${err instanceof Error ? err.message : String(err)}`);
}
