/**
 * The CLI's help: the whole of it (`help`, `--help`), or one group or command's
 * (`help engine`, `engine --help`, `engine create --help`), with the options that apply there.
 */
import { CONFIG_KEYS, envName, flagName } from '../config/schema.js';
import { API_GROUPS, API_OPTIONS, API_USAGE, apiUsages } from './commands/index.js';

const CONFIG_OPTIONS = `options (also from CONDUCTOR_* environment variables or a --config JSON file):
  --config FILE
${Object.entries(CONFIG_KEYS)
  .map(([key, spec]) => `  --${flagName(key)} (${envName(key)})`.padEnd(58) + spec.describe)
  .join('\n')}`;

const EXIT_CODES = `exit codes: 0 ok, 1 failed, 2 bad command line, configuration or request, 3 service or spdk_tgt
unreachable (or not ready), 4 deadline passed, 5 not found, 6 exists and differs, 7 refused in
the object's current state, 8 no space or memory, 130 interrupted`;

/** Commands that run here rather than asking the service over its API; `options` follow their usage. */
const LOCAL_COMMANDS: readonly { name: string; usage: string; options?: string }[] = [
  {
    name: 'serve',
    usage:
      'serve [--simulator] [--config FILE] [options]   run the service on --spdk-socket, or on an embedded simulator\n' +
      '                     (--simulator; also implied by no --spdk-socket unless CONDUCTOR_SIMULATOR=false, as in the image)',
    options: CONFIG_OPTIONS,
  },
  { name: 'config show', usage: 'config show [--json]   the effective configuration: each value and where it came from (secrets redacted)', options: CONFIG_OPTIONS },
  { name: 'timeouts check', usage: 'timeouts check [--json]   the timeout budget as a worst-case timeline, and its verdict (exit 2: broken)', options: CONFIG_OPTIONS },
  {
    name: 'health',
    usage: 'health [--liveness] [--json]   ask the running service whether it is ready (or live): exit 0 yes, 3 no, with the reason',
    options: '  --http-address HOST:PORT, --api-socket PATH: where the service listens (as given to serve)',
  },
];

export const USAGE = `usage: spdk-conductor <command> [options]
       spdk-conductor help [COMMAND]      (or COMMAND --help) for one command and its options
       spdk-conductor --version

commands:
${LOCAL_COMMANDS.map((c) => `  ${c.usage}`).join('\n')}

node API commands (talk to a running service over its API socket):
${API_USAGE}

${CONFIG_OPTIONS}
  --json             machine-readable output

${EXIT_CODES}
`;

/** The help for `words` (a group or a command), or undefined when no command starts so. */
export function helpFor(words: readonly string[]): string | undefined {
  if (words.length === 0) return USAGE;
  const prefix = words.join(' ');
  if (API_GROUPS.includes(words[0]!)) {
    const usages = apiUsages(words);
    if (usages.length === 0) return undefined;
    return `usage:\n${usages.map((u) => `  spdk-conductor ${u}`).join('\n')}\n\n${API_OPTIONS}\n\n${EXIT_CODES}\n`;
  }
  const local = LOCAL_COMMANDS.filter((c) => c.name === prefix || c.name.startsWith(`${prefix} `));
  if (local.length === 0) return undefined;
  const options = [...new Set(local.flatMap((c) => (c.options ? [c.options] : [])))];
  return `usage:\n${local.map((c) => `  spdk-conductor ${c.usage}`).join('\n')}\n${options.map((o) => `\n${o}\n`).join('')}\n${EXIT_CODES}\n`;
}
