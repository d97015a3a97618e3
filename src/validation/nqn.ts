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
 *
 * The domain org.nvmexpress belongs to the specification, which uses it for the UUID form only: a
 * name in it that is not exactly that form is a truncated or forged one (a cut protobuf string
 * gave `nqn.2014-08.org.nvmexpress:uuid`, which once exposed a replica to the wrong host).
 */
import { NQN_MAX_BYTES } from './limits.js';
import { hasControlCharacter, quoted } from './text.js';

export { NQN_MAX_BYTES };

/** The UUID form; spdk_tgt refuses one whose tail is not a UUID. */
export const UUID_NQN_PREFIX = 'nqn.2014-08.org.nvmexpress:uuid:';

/** Every NQN in the specification's own domain is the UUID form. */
const NVME_EXPRESS_DOMAIN = 'nqn.2014-08.org.nvmexpress:';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** No name authority owned a domain before DNS existed. */
const YEAR_MIN = 1985;

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** A top-level domain is never all digits. */
const TOP_LABEL = '[A-Za-z](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/**
 * A lowercase "nqn." (spdk_tgt compares it exactly), a date with a real month, a reverse domain of
 * at least two labels, something after the colon.
 */
const NQN_PATTERN = new RegExp(`^nqn\\.(\\d{4})-(?:0[1-9]|1[0-2])\\.${TOP_LABEL}(?:\\.${LABEL})+:[\\x21-\\x2b\\x2d-\\x7e]+$`);

const FORM = "use the form nqn.YYYY-MM.reverse.domain:identifier (printable, no spaces or commas; e.g. the host's /etc/nvme/hostnqn)";

/** Why `value` is not an NQN, or undefined when it is one. */
export function nqnProblem(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return 'an NQN is required';
  const bytes = Buffer.byteLength(value);
  if (bytes > NQN_MAX_BYTES) return `${quoted(value)} is ${bytes} bytes long; an NQN is at most ${NQN_MAX_BYTES}`;
  if (hasControlCharacter(value)) return `${quoted(value)} is not an NQN: it holds a control character`;
  if (value.toLowerCase().startsWith(NVME_EXPRESS_DOMAIN)) {
    const tail = value.slice(NVME_EXPRESS_DOMAIN.length);
    if (!tail.toLowerCase().startsWith('uuid:')) return `${quoted(value)} is not an NQN: names in org.nvmexpress are only ${UUID_NQN_PREFIX}<UUID> (is it cut short?)`;
    if (!UUID_PATTERN.test(tail.slice('uuid:'.length))) {
      return `${quoted(value)} is a UUID NQN whose tail is not a UUID; use ${UUID_NQN_PREFIX}xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx`;
    }
    return undefined;
  }
  const match = NQN_PATTERN.exec(value);
  if (!match) return `${quoted(value)} is not an NQN; ${FORM}`;
  if (Number(match[1]) < YEAR_MIN) return `${quoted(value)} is not an NQN: its year ${match[1]} is before ${YEAR_MIN}; ${FORM}`;
  return undefined;
}
