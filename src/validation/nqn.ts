/**
 * NVMe Qualified Names, as the NVMe Base Specification (§4.5, "NVMe Qualified Names") defines
 * them, for hosts and subsystems alike:
 *
 *   nqn.<yyyy>-<mm>.<reverse domain>:<identifier>     e.g. nqn.2024-11.io.spdk-conductor:replica:r1
 *   nqn.2014-08.org.nvmexpress:uuid:<UUID>            e.g. the host's /etc/nvme/hostnqn
 *
 * at most 223 bytes. The identifier is narrower than the specification's UTF-8: printable ASCII
 * without ',' or whitespace, because nvme-cli hands the kernel one comma-separated key=value
 * string, where a ',' would inject options of its own (control characters are outside it too). The discovery NQN is not accepted: nothing
 * here takes it as input.
 */
import { quoted } from './text.js';

export const NQN_MAX_BYTES = 223;

/** The UUID form; spdk_tgt refuses one whose tail is not a UUID. */
export const UUID_NQN_PREFIX = 'nqn.2014-08.org.nvmexpress:uuid:';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?';
/**
 * A lowercase "nqn." (spdk_tgt compares it exactly), a date with a real month, a reverse domain of
 * at least two labels, something after the colon.
 */
const NQN_PATTERN = new RegExp(`^nqn\\.\\d{4}-(?:0[1-9]|1[0-2])\\.${LABEL}(?:\\.${LABEL})+:[\\x21-\\x2b\\x2d-\\x7e]+$`);

/** Why `value` is not an NQN, or undefined when it is one. */
export function nqnProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'an NQN is required';
  const bytes = Buffer.byteLength(value);
  if (bytes > NQN_MAX_BYTES) return `${quoted(value)} is ${bytes} bytes long; an NQN is at most ${NQN_MAX_BYTES}`;
  if (!NQN_PATTERN.test(value)) {
    return `${quoted(value, NQN_MAX_BYTES)} is not an NQN; use the form nqn.YYYY-MM.reverse.domain:identifier (printable, no spaces or commas; e.g. the host's /etc/nvme/hostnqn)`;
  }
  if (value.toLowerCase().startsWith(UUID_NQN_PREFIX) && !UUID_PATTERN.test(value.slice(UUID_NQN_PREFIX.length))) {
    return `${quoted(value, NQN_MAX_BYTES)} is a UUID NQN whose tail is not a UUID; use ${UUID_NQN_PREFIX}xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`;
  }
  return undefined;
}
