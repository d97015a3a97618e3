/** NQN, serial and model number rules of spdk_tgt's nvmf target (subsystem.c). */

const NQN_MIN = 11;
const NQN_MAX = 223;
const DOMAIN_LABEL_MAX = 63;
const UUID_PREFIX = 'nqn.2014-08.org.nvmexpress:uuid:';
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
export const DISCOVERY_NQN = 'nqn.2014-08.org.nvmexpress.discovery';

const isAlpha = (c: string) => /^[A-Za-z]$/.test(c);
const isDigit = (c: string) => /^[0-9]$/.test(c);

/** nvmf_nqn_is_valid: "nqn.yyyy-mm.reverse.domain:anything" or the uuid form. */
export function nqnIsValid(nqn: string): boolean {
  const len = Buffer.byteLength(nqn, 'utf8');
  if (len > NQN_MAX || len < NQN_MIN) return false;
  if (nqn === DISCOVERY_NQN) return true;
  if (nqn.startsWith(UUID_PREFIX)) return UUID_RE.test(nqn.slice(UUID_PREFIX.length));
  if (!nqn.startsWith('nqn.')) return false;
  if (!/^nqn\.\d{4}-\d{2}\./.test(nqn)) return false;
  const colon = nqn.indexOf(':');
  if (colon < 0 || colon >= nqn.length - 1) return false;
  // The reverse domain: labels start with a letter, hold letters, digits and '-', end alphanumeric.
  let state: 'letter' | 'ldh' | 'any' = 'letter';
  let label = 0;
  for (let i = 12; i < colon; i++) {
    if (label > DOMAIN_LABEL_MAX) return false;
    const c = nqn[i]!;
    if (state === 'letter') {
      if (!isAlpha(c)) return false;
      state = 'any';
      label++;
    } else if (isAlpha(c) || isDigit(c)) {
      state = 'any';
      label++;
    } else if (c === '-') {
      if (i === colon - 1) return false;
      state = 'ldh';
      label++;
    } else if (c === '.' && state === 'any') {
      state = 'letter';
      label = 0;
    } else {
      return false;
    }
  }
  return true;
}

/** nvmf_subsystem_copy_sn / _mn: at most `max` printable ASCII characters. */
export function printableAscii(value: string, max: number): boolean {
  return value.length <= max && /^[\x20-\x7e]*$/.test(value);
}

export const SERIAL_MAX = 20;
export const MODEL_MAX = 40;
export const DEFAULT_SERIAL = '00000000000000000000';
export const DEFAULT_MODEL = 'SPDK bdev Controller';
