/**
 * What every string rule refuses: control characters (C0, DEL and C1). They have no place in a
 * name, path, NQN or label, and a NUL or newline that reached spdk_tgt, a log line or nvme-cli's
 * option string would cut or forge what follows it.
 */
import { QUOTE_MAX } from './limits.js';

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

export function hasControlCharacter(value: string): boolean {
  return CONTROL.test(value);
}

/**
 * The value as a message quotes it: JSON-escaped and cut to `max` characters. Every message that
 * quotes a caller's input goes through here, so an error is never the size of a hostile value.
 */
export function quoted(value: string, max = QUOTE_MAX): string {
  return value.length > max ? `${JSON.stringify(value.slice(0, max))}…` : JSON.stringify(value);
}
