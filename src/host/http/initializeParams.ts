import { SharedMcpError } from '../../shared/errors';
import { valueDepthExceeds } from '../../shared/jsonDepth';
import type { InitializeParams } from '../backends/jsonRpc';
import { isPlainObject } from './httpUtils';

/**
 * Bounds on what a client may say of itself in initialize. The params are kept for the session's life, persisted in
 * sessions.json and shown in status: one `clientInfo` nested 6,000 deep once made every later sessions.json write
 * throw. Real clients send a few hundred bytes, a few levels deep.
 */
export const MAX_INITIALIZE_PARAMS_BYTES = 64 * 1024;
export const MAX_INITIALIZE_DEPTH = 32;
export const MAX_CLIENT_INFO_CHARS = 256;
export const MAX_PROTOCOL_VERSION_CHARS = 64;

/** A C0 control character or DEL: a client name goes into log lines, where a newline would forge one. */
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/** Checks initialize params before anything stores them; throws INVALID_PARAMS with the field at fault. */
export function checkInitializeParams(params: unknown): InitializeParams {
  if (!isPlainObject(params)) throw invalid('params must be an object with protocolVersion, capabilities and clientInfo');
  if (valueDepthExceeds(params, MAX_INITIALIZE_DEPTH)) throw invalid(`params are nested deeper than ${MAX_INITIALIZE_DEPTH} levels`);
  const bytes = Buffer.byteLength(JSON.stringify(params));
  if (bytes > MAX_INITIALIZE_PARAMS_BYTES) throw invalid(`params are ${bytes} bytes, over ${MAX_INITIALIZE_PARAMS_BYTES}`);
  const { protocolVersion, capabilities = {}, clientInfo } = params;
  if (typeof protocolVersion !== 'string' || protocolVersion === '' || protocolVersion.length > MAX_PROTOCOL_VERSION_CHARS) {
    throw invalid(`protocolVersion must be a string of 1 to ${MAX_PROTOCOL_VERSION_CHARS} characters`);
  }
  if (!isPlainObject(capabilities)) throw invalid('capabilities must be an object');
  if (!isPlainObject(clientInfo)) throw invalid('clientInfo must be an object with name and version');
  checkText('clientInfo.name', clientInfo.name);
  checkText('clientInfo.version', clientInfo.version);
  return { ...params, protocolVersion, capabilities, clientInfo } as unknown as InitializeParams;
}

function checkText(field: string, value: unknown): void {
  if (typeof value !== 'string' || value.length > MAX_CLIENT_INFO_CHARS || CONTROL_CHARS.test(value)) {
    throw invalid(`${field} must be a string of at most ${MAX_CLIENT_INFO_CHARS} characters without control characters`);
  }
}

function invalid(what: string): SharedMcpError {
  return new SharedMcpError('INVALID_PARAMS', `Invalid params: initialize: ${what}`);
}
