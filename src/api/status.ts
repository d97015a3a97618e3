/**
 * ConductorError → gRPC status, in one place: each error's kind picks the status, its code goes in
 * a trailer. Messages already say what was wrong and what to do, so they pass through unchanged;
 * an error that carries a hint (what to do, when its message does not say) gets it appended.
 * Anything that is not a ConductorError is a bug: its message and stack go to the log under a
 * reference id and the caller gets only that id.
 */
import { randomBytes } from 'node:crypto';
import { Metadata, status as Status, type StatusObject } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ConductorError, ERROR_CODES, isErrorCode, type ErrorCode, type ErrorKind } from '../errors.js';

/** Trailer carrying the ConductorError code, so clients can branch on more than the status. */
export const ERROR_CODE_TRAILER = 'conductor-error-code';

const BY_KIND: Readonly<Record<ErrorKind, Status>> = {
  'invalid-argument': Status.INVALID_ARGUMENT,
  'not-found': Status.NOT_FOUND,
  'already-exists': Status.ALREADY_EXISTS,
  'failed-precondition': Status.FAILED_PRECONDITION,
  'resource-exhausted': Status.RESOURCE_EXHAUSTED,
  unavailable: Status.UNAVAILABLE,
  'deadline-exceeded': Status.DEADLINE_EXCEEDED,
  aborted: Status.ABORTED,
  internal: Status.INTERNAL,
  unknown: Status.UNKNOWN,
};

/** The gRPC status of a code. */
export function statusOf(code: ErrorCode): Status {
  return BY_KIND[ERROR_CODES[code]];
}

export interface MappedStatus extends StatusObject {
  /** The ConductorError code, or 'INTERNAL' for errors that are not ConductorErrors. */
  conductorCode: ErrorCode;
}

/** The status a failed call ends with. Logs what the caller should not see. */
export function toStatus(err: unknown, logger: Logger, method: string): MappedStatus {
  if (!(err instanceof ConductorError)) {
    const ref = randomBytes(4).toString('hex');
    logger.error({ err, method, ref }, 'unexpected error in a call');
    return build('INTERNAL', `internal error in ${method} (ref ${ref}); the service log has the details`);
  }
  const code = statusOf(err.code);
  const level = code === Status.INTERNAL || code === Status.UNKNOWN ? 'error' : 'debug';
  logger[level]({ err, method, code: err.code, status: Status[code] }, 'call failed');
  return build(err.code, err.hint === undefined ? err.message : `${err.message}; ${err.hint}`);
}

/** A status the edge itself ends a call with, carrying the same trailer as mapped errors. */
export function build(conductorCode: ErrorCode, details: string): MappedStatus {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, conductorCode);
  return { code: statusOf(conductorCode), details: wellFormed(details), metadata, conductorCode };
}

/**
 * `text` with every lone surrogate replaced by U+FFFD. grpc-js percent-encodes the details with
 * encodeURI, which throws on a lone surrogate, uncaught: a message quoting a cut caller string
 * (a name cut inside an emoji) once took the whole service down.
 */
function wellFormed(text: string): string {
  return text.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** The code of a peer's status that came without a trailer (or with a code this service does not know). */
const BY_STATUS: Partial<Record<Status, ErrorCode>> = {
  [Status.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [Status.NOT_FOUND]: 'NOT_FOUND',
  [Status.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [Status.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [Status.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
  [Status.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [Status.ABORTED]: 'CANCELLED',
  [Status.CANCELLED]: 'CANCELLED',
  [Status.UNAVAILABLE]: 'UNAVAILABLE',
};

/** The generic code of each kind, for a peer's codes that mean nothing on this node. */
const GENERIC: Readonly<Record<ErrorKind, ErrorCode>> = {
  'invalid-argument': 'INVALID_ARGUMENT',
  'not-found': 'NOT_FOUND',
  'already-exists': 'ALREADY_EXISTS',
  'failed-precondition': 'FAILED_PRECONDITION',
  'resource-exhausted': 'RESOURCE_EXHAUSTED',
  unavailable: 'UNAVAILABLE',
  'deadline-exceeded': 'DEADLINE_EXCEEDED',
  aborted: 'CANCELLED',
  internal: 'INTERNAL',
  unknown: 'UNAVAILABLE',
};

/**
 * A peer's code as this node reports it. Codes about the peer's own spdk_tgt become the generic code
 * of their kind, and the peer's faults (its configuration, its state file, spdk_tgt's refusals)
 * say only that the peer failed.
 */
function fromPeer(code: ErrorCode): ErrorCode {
  const kind = ERROR_CODES[code];
  if (code === 'INTERNAL') return code;
  if (kind === 'internal' || kind === 'unknown') return 'UNAVAILABLE';
  return code.startsWith('SPDK_') ? GENERIC[kind] : code;
}

/**
 * A peer's failed call as a ConductorError: the peer's own code (its trailer) when it sent one,
 * else one mapped from the status; the message names the peer. Other errors pass through.
 */
export function fromStatus(err: unknown, where: string): unknown {
  if (!(err instanceof Error) || typeof (err as Partial<StatusObject>).code !== 'number') return err;
  const status = err as Error & StatusObject;
  const trailer = status.metadata?.get(ERROR_CODE_TRAILER)[0];
  const code = isErrorCode(trailer) ? fromPeer(trailer) : (BY_STATUS[status.code] ?? 'UNAVAILABLE');
  return new ConductorError(code, `${where}: ${status.details || status.message}`);
}
