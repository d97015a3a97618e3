/**
 * Every error the service raises, with stable string codes. Callers branch on `code`, never on
 * message text. The gRPC edge maps codes to status codes; nothing below it knows gRPC.
 */

export type ErrorCode =
  /** spdk_tgt answered the call with a JSON-RPC error. */
  | 'SPDK_RPC'
  /** spdk_tgt could not be reached, or the connection was lost before the answer. */
  | 'SPDK_TRANSPORT'
  /** A request was refused locally because its params break the method's schema. */
  | 'SPDK_PARAMS'
  /** spdk_tgt's result lacks a field the service relies on. */
  | 'SPDK_RESULT'
  /** A configuration value is missing or malformed. */
  | 'CONFIG'
  | 'INVALID_ARGUMENT'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'FAILED_PRECONDITION'
  | 'RESOURCE_EXHAUSTED'
  | 'UNAVAILABLE'
  | 'DEADLINE_EXCEEDED'
  | 'ABORTED'
  | 'INTERNAL';

export class ConductorError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.details = details;
  }
}

/**
 * errno values and JSON-RPC codes that spdk_tgt v26.05 really returns (see
 * ../shared/spdk/errors-table.json). The names are for logs and readers; what a code means for a
 * given method is decided per method by the verdict tables in rpc-schemas, never by the name.
 */
export const SPDK_CODES = {
  EPERM: -1,
  ENOENT: -2,
  EIO: -5,
  ENOMEM: -12,
  EBUSY: -16,
  EEXIST: -17,
  ENODEV: -19,
  EINVAL: -22,
  EALREADY: -114,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  PARSE_ERROR: -32700,
} as const;

export type SpdkCodeName = keyof typeof SPDK_CODES;

const codeNames = new Map<number, SpdkCodeName>(
  Object.entries(SPDK_CODES).map(([name, code]) => [code, name as SpdkCodeName]),
);

/** spdk_tgt answered with an error object. */
export class SpdkRpcError extends ConductorError {
  readonly rpcCode: number;
  readonly rpcMessage: string;
  readonly method: string;
  readonly params: unknown;

  constructor(method: string, params: unknown, rpcCode: number, rpcMessage: string, data?: unknown) {
    const name = codeNames.get(rpcCode) ?? String(rpcCode);
    super('SPDK_RPC', `${method} failed: ${rpcMessage} (${name})`, { method, rpcCode, rpcMessage, data });
    this.rpcCode = rpcCode;
    this.rpcMessage = rpcMessage;
    this.method = method;
    this.params = params;
  }

  /** The symbolic name of the code, or undefined for one spdk_tgt is not known to use. */
  get codeName(): SpdkCodeName | undefined {
    return codeNames.get(this.rpcCode);
  }

  is(name: SpdkCodeName): boolean {
    return this.rpcCode === SPDK_CODES[name];
  }

  get isMethodNotFound(): boolean {
    return this.is('METHOD_NOT_FOUND');
  }

  get isOutOfMemory(): boolean {
    return this.is('ENOMEM') || /Cannot allocate memory/.test(this.rpcMessage);
  }

  get isNoSpace(): boolean {
    return /No space left on device/.test(this.rpcMessage);
  }
}

export type TransportFailure =
  /** The socket path does not exist: spdk_tgt is not running or not started yet. */
  | 'no-socket'
  /** The path exists but nobody accepts (stale socket, or the 64-connection limit). */
  | 'refused'
  /** The connection closed or reset before the answer came. */
  | 'closed'
  /** The call's deadline passed first. */
  | 'timeout'
  /** The caller aborted the call. */
  | 'aborted'
  /** The in-flight cap and the bounded wait queue are both full. */
  | 'overloaded'
  /** The request is larger than spdk_tgt accepts; sending it would reset the connection. */
  | 'too-large'
  /** The client was closed. */
  | 'client-closed';

export class SpdkTransportError extends ConductorError {
  readonly failure: TransportFailure;
  readonly method: string | undefined;

  constructor(failure: TransportFailure, message: string, method?: string, options?: ErrorOptions) {
    super(failure === 'timeout' ? 'DEADLINE_EXCEEDED' : failure === 'aborted' ? 'ABORTED' : 'SPDK_TRANSPORT', message, {
      failure,
      method,
    }, options);
    this.failure = failure;
    this.method = method;
  }
}

/** The params break the method's schema; nothing was sent. */
export class SpdkParamsError extends ConductorError {
  readonly method: string;
  readonly problems: readonly string[];

  constructor(method: string, problems: readonly string[]) {
    super('SPDK_PARAMS', `refused to send ${method}: ${problems.join('; ')}`, { method, problems });
    this.method = method;
    this.problems = problems;
  }
}

/** spdk_tgt's answer lacks what the service relies on: a version we do not understand. */
export class SpdkResultError extends ConductorError {
  constructor(method: string, problems: readonly string[]) {
    super('SPDK_RESULT', `unexpected result from ${method}: ${problems.join('; ')}`, { method, problems });
  }
}

export class ConfigError extends ConductorError {
  constructor(key: string, message: string) {
    super('CONFIG', `config ${key}: ${message}`, { key });
  }
}

export function isConductorError(err: unknown): err is ConductorError {
  return err instanceof ConductorError;
}
