/**
 * The one error type of Shared MCP. Every failure a user can meet carries a string code;
 * this file is the only place that maps codes to HTTP status, JSON-RPC code and exit code.
 */

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'UNKNOWN_SERVER'
  | 'SERVER_EXISTS'
  | 'SERVER_DISABLED'
  | 'SERVER_EXITED'
  | 'SERVER_ERROR'
  | 'SERVER_UNAVAILABLE'
  | 'SERVER_BUSY'
  | 'NEEDS_AUTH'
  | 'UNSUPPORTED_PROTOCOL_VERSION'
  | 'PROTOCOL_ERA_UNSUPPORTED'
  | 'COMMAND_NOT_FOUND'
  | 'SECRET_MISSING'
  | 'HOST_UNREACHABLE'
  | 'HOST_START_FAILED'
  | 'HOST_RUNNING'
  | 'HOST_STOPPING'
  | 'PORT_UNAVAILABLE'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_REQUEST'
  | 'INVALID_PARAMS'
  | 'PARSE_ERROR'
  | 'PAYLOAD_TOO_LARGE'
  | 'NOT_ACCEPTABLE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'METHOD_NOT_ALLOWED'
  | 'SESSION_NOT_FOUND'
  | 'SESSION_CONFLICT'
  | 'TOO_MANY_SESSIONS'
  | 'USAGE'
  | 'TIMEOUT'
  | 'INTERNAL';

interface CodeInfo {
  httpStatus: number;
  jsonRpcCode: number;
  exitCode: number;
}

const CODES: Record<ErrorCode, CodeInfo> = {
  CONFIG_INVALID: { httpStatus: 422, jsonRpcCode: -32602, exitCode: 1 },
  UNKNOWN_SERVER: { httpStatus: 404, jsonRpcCode: -32601, exitCode: 1 },
  SERVER_EXISTS: { httpStatus: 409, jsonRpcCode: -32602, exitCode: 1 },
  SERVER_DISABLED: { httpStatus: 409, jsonRpcCode: -32603, exitCode: 1 },
  SERVER_EXITED: { httpStatus: 502, jsonRpcCode: -32603, exitCode: 1 },
  SERVER_ERROR: { httpStatus: 502, jsonRpcCode: -32603, exitCode: 1 },
  SERVER_UNAVAILABLE: { httpStatus: 503, jsonRpcCode: -32603, exitCode: 1 },
  SERVER_BUSY: { httpStatus: 503, jsonRpcCode: -32603, exitCode: 1 },
  // 503, never 401: a 401 would start the client's own OAuth against the host (DESIGN.md "Remote servers").
  NEEDS_AUTH: { httpStatus: 503, jsonRpcCode: -32603, exitCode: 1 },
  // The 2026-07-28 spec's "unsupported protocol version": clients of that era fall back to initialize on it.
  UNSUPPORTED_PROTOCOL_VERSION: { httpStatus: 400, jsonRpcCode: -32022, exitCode: 1 },
  // A server that speaks only a protocol era the host does not serve yet: retrying will not help.
  PROTOCOL_ERA_UNSUPPORTED: { httpStatus: 502, jsonRpcCode: -32603, exitCode: 1 },
  COMMAND_NOT_FOUND: { httpStatus: 502, jsonRpcCode: -32603, exitCode: 1 },
  SECRET_MISSING: { httpStatus: 503, jsonRpcCode: -32603, exitCode: 1 },
  HOST_UNREACHABLE: { httpStatus: 503, jsonRpcCode: -32603, exitCode: 1 },
  HOST_START_FAILED: { httpStatus: 503, jsonRpcCode: -32603, exitCode: 1 },
  HOST_RUNNING: { httpStatus: 409, jsonRpcCode: -32603, exitCode: 1 },
  HOST_STOPPING: { httpStatus: 503, jsonRpcCode: -32603, exitCode: 1 },
  PORT_UNAVAILABLE: { httpStatus: 503, jsonRpcCode: -32603, exitCode: 1 },
  UNAUTHORIZED: { httpStatus: 401, jsonRpcCode: -32001, exitCode: 1 },
  FORBIDDEN: { httpStatus: 403, jsonRpcCode: -32001, exitCode: 1 },
  NOT_FOUND: { httpStatus: 404, jsonRpcCode: -32601, exitCode: 1 },
  BAD_REQUEST: { httpStatus: 400, jsonRpcCode: -32600, exitCode: 1 },
  // A request whose params have the wrong shape (JSON-RPC's "Invalid params").
  INVALID_PARAMS: { httpStatus: 400, jsonRpcCode: -32602, exitCode: 1 },
  PARSE_ERROR: { httpStatus: 400, jsonRpcCode: -32700, exitCode: 1 },
  PAYLOAD_TOO_LARGE: { httpStatus: 413, jsonRpcCode: -32600, exitCode: 1 },
  NOT_ACCEPTABLE: { httpStatus: 406, jsonRpcCode: -32600, exitCode: 1 },
  UNSUPPORTED_MEDIA_TYPE: { httpStatus: 415, jsonRpcCode: -32600, exitCode: 1 },
  METHOD_NOT_ALLOWED: { httpStatus: 405, jsonRpcCode: -32600, exitCode: 1 },
  SESSION_NOT_FOUND: { httpStatus: 404, jsonRpcCode: -32001, exitCode: 1 },
  SESSION_CONFLICT: { httpStatus: 409, jsonRpcCode: -32600, exitCode: 1 },
  TOO_MANY_SESSIONS: { httpStatus: 503, jsonRpcCode: -32603, exitCode: 1 },
  USAGE: { httpStatus: 400, jsonRpcCode: -32602, exitCode: 2 },
  TIMEOUT: { httpStatus: 504, jsonRpcCode: -32001, exitCode: 1 },
  INTERNAL: { httpStatus: 500, jsonRpcCode: -32603, exitCode: 1 },
};

/** The host process exits with this code when another host already serves its home. */
export const HOST_RUNNING_EXIT_CODE = 3;

/** An expected failure with a one-line, user-facing message. */
export class SharedMcpError extends Error {
  override readonly name = 'SharedMcpError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }

  get httpStatus(): number {
    return CODES[this.code].httpStatus;
  }
  get jsonRpcCode(): number {
    return CODES[this.code].jsonRpcCode;
  }
  get exitCode(): number {
    return CODES[this.code].exitCode;
  }

  /** The wire shape used by the control API. */
  toJSON(): ErrorBody {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/** The answer to anything asked of a host that is shutting down. */
export function hostStopping(): SharedMcpError {
  return new SharedMcpError('HOST_STOPPING', 'the host is shutting down');
}

/** Wraps anything thrown into a SharedMcpError, keeping codes that are already ours. */
export function toSharedMcpError(err: unknown): SharedMcpError {
  if (err instanceof SharedMcpError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SharedMcpError('INTERNAL', message);
}

/** Rebuilds a SharedMcpError from a control API error body; undefined when it is not one. */
export function fromErrorBody(body: unknown): SharedMcpError | undefined {
  const e = (body as ErrorBody | undefined)?.error;
  if (!e || typeof e.code !== 'string' || !Object.prototype.hasOwnProperty.call(CODES, e.code) || typeof e.message !== 'string') return undefined;
  return new SharedMcpError(e.code, e.message, e.details);
}

export function isErrnoException(err: unknown, code?: string): err is NodeJS.ErrnoException {
  return err instanceof Error && typeof (err as NodeJS.ErrnoException).code === 'string' && (code === undefined || (err as NodeJS.ErrnoException).code === code);
}
