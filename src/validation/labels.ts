/**
 * Labels on snapshots, kept in the state file. Keys start and end with a letter or digit, as
 * Kubernetes label names do, so the labels a cluster manager copies from its objects fit.
 */
import { LABEL_KEY_MAX, LABEL_VALUE_MAX, LABELS_MAX } from './limits.js';
import { hasControlCharacter, quoted } from './text.js';

export { LABEL_KEY_MAX, LABEL_VALUE_MAX, LABELS_MAX };

const LABEL_KEY_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9._/-]*[A-Za-z0-9])?$/;

/** Why `value` is not a set of labels, or undefined. */
export function labelsProblem(value: Readonly<Record<string, unknown>>): string | undefined {
  const entries = Object.entries(value);
  if (entries.length > LABELS_MAX) return `${entries.length} labels given; at most ${LABELS_MAX} are allowed`;
  for (const [key, v] of entries) {
    if (key.length > LABEL_KEY_MAX || !LABEL_KEY_PATTERN.test(key)) {
      return `label key ${quoted(key)} is not allowed; use at most ${LABEL_KEY_MAX} of A-Z a-z 0-9 . _ / -, starting and ending with a letter or digit`;
    }
    if (typeof v !== 'string') return `label ${key}'s value is not a string`;
    if (v.length > LABEL_VALUE_MAX) return `label ${key}'s value is ${v.length} characters long; use at most ${LABEL_VALUE_MAX}`;
    if (hasControlCharacter(v)) return `label ${key}'s value holds a control character`;
  }
  return undefined;
}
