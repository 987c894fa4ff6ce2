import { SharedMcpError } from '../../shared/errors';
import { formatBytes } from '../../shared/units';
import type { JsonRpcMessage } from './jsonRpc';

/** What a server accepts from the host; read on every send, so a config reload changes them without a restart. */
export interface SendLimits {
  /** resourceLimits.maxMessageSize: the largest message sent to the server. */
  maxMessageBytes: number;
  /** resourceLimits.maxQueueSize: bytes that may wait for the server to read them. */
  maxQueuedBytes: number;
}

/** One message as the JSON text the server reads, with its size; throws, sending nothing, when it cannot go. */
export function encodeForServer(server: string, msg: JsonRpcMessage, limits: SendLimits): { text: string; bytes: number } {
  let text: string | undefined;
  try {
    text = JSON.stringify(msg);
  } catch (err) {
    throw new SharedMcpError('PARSE_ERROR', `cannot send this message to server "${server}": it cannot be written as JSON (${(err as Error).message})`);
  }
  if (typeof text !== 'string') throw new SharedMcpError('PARSE_ERROR', `cannot send this message to server "${server}": it is not a JSON value`);
  const bytes = Buffer.byteLength(text);
  if (bytes > limits.maxMessageBytes) {
    throw new SharedMcpError(
      'PAYLOAD_TOO_LARGE',
      `the message is ${bytes} bytes (${formatBytes(bytes)}), over the ${limits.maxMessageBytes}-byte cap of server "${server}" (resourceLimits.maxMessageSize); it was not sent`,
    );
  }
  return { text, bytes };
}

/** Throws SERVER_BUSY when this message would push what waits for the server past its queue cap (an empty queue takes any message). */
export function assertRoom(server: string, queuedBytes: number, bytes: number, limits: SendLimits): void {
  if (queuedBytes === 0 || queuedBytes + bytes <= limits.maxQueuedBytes) return;
  throw new SharedMcpError(
    'SERVER_BUSY',
    `server "${server}" is not keeping up: ${formatBytes(queuedBytes)} already wait for it to read them (resourceLimits.maxQueueSize ${formatBytes(limits.maxQueuedBytes)}); try again once it catches up`,
  );
}
