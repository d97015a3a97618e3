/**
 * Names users give objects. [a-z0-9-] only, so '.' and ':' never appear in them and the names the
 * domain derives from them (src/domain/node/naming.ts) parse back exactly. SPDK caps lvol and
 * lvstore names at 63 bytes (SPDK_LVOL_NAME_MAX includes the NUL); these limits keep every derived
 * name (lvs.<disk>, s.<snapshot>.<8-char owner tag>, ec.<volume>.<replica>) inside it.
 */
import { NAME_MAX } from './limits.js';
import { quoted } from './text.js';

export { NAME_MAX };

export const NAME_PATTERN = /^[a-z0-9][a-z0-9-]*$/;

export type NameKind = keyof typeof NAME_MAX;

/** Why `value` is not a valid name of that kind, or undefined when it is. */
export function nameProblem(kind: NameKind, value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return `a ${kind} name is required`;
  const max = NAME_MAX[kind];
  if (value.length > max) return `${kind} name ${quoted(value)} is ${value.length} characters long; use at most ${max}`;
  if (!NAME_PATTERN.test(value)) return `${kind} name ${quoted(value)} is not allowed; use lowercase letters, digits and '-', starting with a letter or digit`;
  return undefined;
}
