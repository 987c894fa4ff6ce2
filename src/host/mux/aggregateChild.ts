import type { JsonRpcId, JsonRpcMessage } from '../backends/jsonRpc';
import type { ClientSession, SessionRecord } from './clientSession';
import type { McpEndpoint } from './mcpEndpoint';

/** The aggregate's session with one server: a client of that server's mux on behalf of the aggregate's client. */
export class ChildSession implements ClientSession {
  readonly record: SessionRecord;
  capabilities: Record<string, unknown> = {};

  constructor(
    parent: ClientSession,
    readonly server: string,
    readonly endpoint: McpEndpoint,
    private readonly onMessage: (child: ChildSession, msg: JsonRpcMessage, related?: JsonRpcId) => void,
  ) {
    this.record = { ...parent.record, id: `${parent.record.id}/${server}`, endpoint: server };
  }

  deliver(msg: JsonRpcMessage, related?: JsonRpcId): void {
    this.onMessage(this, msg, related);
  }
}

