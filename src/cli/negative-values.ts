/**
 * node:util's parseArgs takes "--size -1GiB" for two options and refuses it as ambiguous, so a
 * negative number never reaches the option's own check (which says what is allowed) and
 * `--timeouts-replica-ctrlr-loss-timeout-sec -1`, a valid value, cannot be written with a space.
 * Where an option takes a value and the next word is a negative number, the two are joined as
 * --name=value before parsing; anything else that starts with a dash stays an option.
 */
const NEGATIVE_NUMBER = /^-\d/;

export function joinNegativeValues(argv: readonly string[], options: Readonly<Record<string, { type: 'string' | 'boolean' }>>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      out.push(...argv.slice(i));
      break;
    }
    const next = argv[i + 1];
    const name = arg.startsWith('--') && !arg.includes('=') ? arg.slice(2) : undefined;
    if (name !== undefined && Object.hasOwn(options, name) && options[name]!.type === 'string' && next !== undefined && NEGATIVE_NUMBER.test(next)) {
      out.push(`${arg}=${next}`);
      i++;
    } else out.push(arg);
  }
  return out;
}
