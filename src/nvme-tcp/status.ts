/**
 * NVMe completion statuses in words, and the ConductorError each failure of the host becomes:
 * the message says what failed and the decoded status, `details` carries sct/sc/dnr.
 */
import { ConductorError, type ErrorCode } from '../errors.js';
import type { Status } from './sqe.js';

const SCT_NAMES = ['generic', 'command specific', 'media and data integrity', 'path related', 'reserved', 'reserved', 'reserved', 'vendor specific'];

const GENERIC: Readonly<Record<number, string>> = {
  0: 'success',
  1: 'invalid command opcode',
  2: 'invalid field in command',
  3: 'command ID conflict',
  4: 'data transfer error',
  5: 'aborted: power loss',
  6: 'internal error',
  7: 'aborted by request',
  8: 'aborted: SQ deletion',
  11: 'invalid namespace or format',
  12: 'command sequence error',
  13: 'invalid SGL segment descriptor',
  15: 'data SGL length invalid',
  17: 'SGL descriptor type invalid',
  21: 'operation denied',
  22: 'invalid SGL offset',
  25: 'keep alive timer expired',
  26: 'keep alive timeout invalid',
  34: 'transient transport error',
  128: 'LBA out of range',
  129: 'capacity exceeded',
  130: 'namespace not ready',
  131: 'reservation conflict',
};

/** Command specific, including the Fabrics ones (0x80 and up for Connect and the properties). */
const COMMAND_SPECIFIC: Readonly<Record<number, string>> = {
  1: 'invalid queue identifier',
  2: 'invalid queue size',
  128: 'incompatible format',
  129: 'controller busy',
  130: 'invalid parameter',
  131: 'restart discovery',
  132: 'invalid host',
  144: 'log restart discovery',
  145: 'authentication required',
};

const MEDIA: Readonly<Record<number, string>> = {
  128: 'write fault',
  129: 'unrecovered read error',
  134: 'access denied',
  135: 'deallocated or unwritten logical block',
};

const PATH: Readonly<Record<number, string>> = {
  0: 'internal path error',
  1: 'asymmetric access persistent loss',
  2: 'asymmetric access inaccessible',
  3: 'asymmetric access transition',
  96: 'controller pathing error',
  112: 'host pathing error',
  113: 'command aborted by host',
};

/** "invalid host (SCT 1h, SC 84h, DNR)" */
export function statusText(s: Status): string {
  const table = [GENERIC, COMMAND_SPECIFIC, MEDIA, PATH][s.sct];
  const name = table?.[s.sc] ?? `${SCT_NAMES[s.sct]} status`;
  return `${name} (SCT ${s.sct.toString(16)}h, SC ${s.sc.toString(16).padStart(2, '0')}h${s.dnr ? ', DNR' : ''})`;
}

export function statusDetails(s: Status): Record<string, unknown> {
  return { sct: s.sct, sc: s.sc, dnr: s.dnr, status: statusText(s) };
}

/** The code a failed command's status maps to. */
function statusCode(s: Status, fabricConnect: boolean): ErrorCode {
  if (s.sct === 1) {
    if (fabricConnect && s.sc === 0x84) return 'FAILED_PRECONDITION'; // the subsystem does not allow this host
    if (fabricConnect && s.sc === 0x91) return 'FAILED_PRECONDITION'; // authentication required (a command before DH-HMAC-CHAP completed)
    if (fabricConnect && s.sc === 0x82) return 'UNAVAILABLE'; // no such subsystem (or a field it refused)
    if (s.sc === 0x81) return 'UNAVAILABLE'; // controller busy
    return 'INTERNAL';
  }
  if (s.sct === 0) {
    if (s.sc === 0x0b || s.sc === 0x80) return 'INVALID_ARGUMENT';
    if (s.sc === 0x81) return 'DISK_FULL';
    if (s.sc === 0x82 || s.sc === 0x22 || s.sc === 0x08 || s.sc === 0x07) return 'UNAVAILABLE';
    return 'INTERNAL';
  }
  if (s.sct === 3) return 'UNAVAILABLE';
  return 'INTERNAL';
}

/** A command the target completed with an error status. */
export function commandError(what: string, s: Status, extra: Record<string, unknown> = {}, fabricConnect = false): ConductorError {
  return new ConductorError(statusCode(s, fabricConnect), `${what} failed: ${statusText(s)}`, { ...extra, ...statusDetails(s) });
}
