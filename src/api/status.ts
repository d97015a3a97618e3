/**
 * ConductorError → gRPC status, in one place. Domain messages already say what was wrong and what
 * to do, so they pass through unchanged; transport failures get the advice a caller needs (retry,
 * check spdk_tgt). Anything that is not a ConductorError is a bug: its message and stack go to the
 * log under a reference id and the caller gets only that id.
 */
import { randomBytes } from 'node:crypto';
import { Metadata, status as Status, type StatusObject } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ConductorError, SpdkRpcError, SpdkTransportError, type ErrorCode } from '../errors.js';

/** Trailer carrying the ConductorError code, so clients can branch on more than the status. */
export const ERROR_CODE_TRAILER = 'conductor-error-code';

const BY_CODE: Readonly<Record<ErrorCode, Status>> = {
  INVALID_ARGUMENT: Status.INVALID_ARGUMENT,
  NOT_FOUND: Status.NOT_FOUND,
  ALREADY_EXISTS: Status.ALREADY_EXISTS,
  FAILED_PRECONDITION: Status.FAILED_PRECONDITION,
  RESOURCE_EXHAUSTED: Status.RESOURCE_EXHAUSTED,
  UNAVAILABLE: Status.UNAVAILABLE,
  DEADLINE_EXCEEDED: Status.DEADLINE_EXCEEDED,
  ABORTED: Status.ABORTED,
  SPDK_TRANSPORT: Status.UNAVAILABLE,
  // spdk_tgt refused a call in a way the domain did not translate: its own words are the best
  // description there is, and the status says the error space is foreign.
  SPDK_RPC: Status.UNKNOWN,
  // We built a request spdk_tgt's schema refuses, or spdk_tgt answered in a shape we do not
  // understand (another version): nothing the caller can fix.
  SPDK_PARAMS: Status.INTERNAL,
  SPDK_RESULT: Status.INTERNAL,
  CONFIG: Status.INTERNAL,
  INTERNAL: Status.INTERNAL,
};

export interface MappedStatus extends StatusObject {
  /** The ConductorError code, or 'INTERNAL' for errors that are not ConductorErrors. */
  conductorCode: ErrorCode;
}

/** The status a failed call ends with. Logs what the caller should not see. */
export function toStatus(err: unknown, logger: Logger, method: string): MappedStatus {
  if (!(err instanceof ConductorError)) {
    const ref = randomBytes(4).toString('hex');
    logger.error({ err, method, ref }, 'unexpected error in a call');
    return build(Status.INTERNAL, 'INTERNAL', `internal error in ${method} (ref ${ref}); the service log has the details`);
  }
  const { code, message } = classify(err);
  const level = code === Status.INTERNAL || code === Status.UNKNOWN ? 'error' : 'debug';
  logger[level]({ err, method, code: err.code, status: Status[code] }, 'call failed');
  return build(code, err.code, message);
}

function classify(err: ConductorError): { code: Status; message: string } {
  if (err instanceof SpdkTransportError) {
    switch (err.failure) {
      case 'timeout':
        return { code: Status.DEADLINE_EXCEEDED, message: `${err.message}; spdk_tgt is slow or stuck: retry later, and check spdk_tgt if it persists` };
      case 'too-large':
        // Sending it again cannot help, so UNAVAILABLE (retry me) would mislead.
        return { code: Status.RESOURCE_EXHAUSTED, message: `${err.message}; make the request smaller` };
      case 'overloaded':
        return { code: Status.UNAVAILABLE, message: `${err.message}; too much work is queued for spdk_tgt: retry with backoff` };
      default:
        return { code: Status.UNAVAILABLE, message: `${err.message}; spdk_tgt is not reachable: check that it is running, then retry` };
    }
  }
  if (err instanceof SpdkRpcError && (err.isOutOfMemory || err.isNoSpace)) {
    const what = err.isNoSpace ? 'the disk has no free space' : 'spdk_tgt is out of memory (hugepages)';
    return { code: Status.RESOURCE_EXHAUSTED, message: `${err.message}: ${what}; free some or add capacity, then retry` };
  }
  return { code: BY_CODE[err.code], message: err.message };
}

/** A status the edge itself ends a call with, carrying the same trailer as mapped errors. */
export function build(code: Status, conductorCode: ErrorCode, details: string): MappedStatus {
  const metadata = new Metadata();
  metadata.set(ERROR_CODE_TRAILER, conductorCode);
  return { code, details, metadata, conductorCode };
}

const BY_STATUS: Partial<Record<Status, ErrorCode>> = {
  [Status.INVALID_ARGUMENT]: 'INVALID_ARGUMENT',
  [Status.NOT_FOUND]: 'NOT_FOUND',
  [Status.ALREADY_EXISTS]: 'ALREADY_EXISTS',
  [Status.FAILED_PRECONDITION]: 'FAILED_PRECONDITION',
  [Status.RESOURCE_EXHAUSTED]: 'RESOURCE_EXHAUSTED',
  [Status.DEADLINE_EXCEEDED]: 'DEADLINE_EXCEEDED',
  [Status.ABORTED]: 'ABORTED',
  [Status.CANCELLED]: 'ABORTED',
  [Status.UNAVAILABLE]: 'UNAVAILABLE',
};

/**
 * A peer's failed call as a ConductorError: the peer's own code (its trailer) when it sent one,
 * else one mapped from the status; the message names the peer. Other errors pass through.
 */
export function fromStatus(err: unknown, where: string): unknown {
  if (!(err instanceof Error) || typeof (err as Partial<StatusObject>).code !== 'number') return err;
  const status = err as Error & StatusObject;
  const trailer = status.metadata?.get(ERROR_CODE_TRAILER)[0];
  const code = (typeof trailer === 'string' && trailer in BY_CODE ? trailer : BY_STATUS[status.code] ?? 'UNAVAILABLE') as ErrorCode;
  // Codes of the peer's spdk_tgt mean nothing here; what matters is that the peer failed.
  const local: ErrorCode = code.startsWith('SPDK_') || code === 'CONFIG' ? 'UNAVAILABLE' : code;
  return new ConductorError(local, `${where}: ${status.details || status.message}`);
}
