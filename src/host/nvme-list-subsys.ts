/**
 * `nvme list-subsys -o json`, in the shapes the nvme-cli release lines print:
 *
 *   2.x  [ { HostNQN, HostID, Subsystems: [ { Name, NQN, IOPolicy, Paths: [ {Name, Transport,
 *        Address, State, ANAState?} ] } ] } ]          one element per host NQN
 *   1.x  { Subsystems: [ { Name, NQN }, { Paths: [...] }, ... ] }
 *        each subsystem's Paths printed as a separate element after its Name/NQN; some builds
 *        put Paths (or, patched, Ctrls) inside the subsystem object instead; both are read
 *
 * An empty output, `{}` and `[]` all mean "nothing connected": releases differ on which they print.
 */
import { ConductorError } from '../errors.js';

export interface ListedController {
  name: string;
  transport: string;
  address: string;
  state: string;
}

export interface ListedSubsystem {
  /** `nvme-subsys3`, when the release printed it. */
  name: string | undefined;
  nqn: string;
  controllers: ListedController[];
}

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function parseListSubsys(stdout: string): ListedSubsystem[] {
  const text = stdout.trim();
  if (text === '') return [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConductorError(
      'NVME_CLI_FAILED',
      `nvme list-subsys -o json printed something that is not JSON (an nvme-cli too old for -o json?): ${excerpt(text)}`,
      { output: excerpt(text) },
      { cause: err },
    );
  }
  const merged = new Map<string, ListedSubsystem>();
  for (const s of Array.isArray(doc) ? fromHosts(doc) : fromRoot(doc, text)) {
    const seen = merged.get(s.nqn);
    if (!seen) {
      merged.set(s.nqn, s);
      continue;
    }
    // One subsystem reached from two host NQNs is listed under each host: keep one entry.
    seen.name ??= s.name;
    for (const c of s.controllers) if (!seen.controllers.some((k) => k.name === c.name)) seen.controllers.push(c);
  }
  return [...merged.values()];
}

function fromHosts(hosts: unknown[]): ListedSubsystem[] {
  const out: ListedSubsystem[] = [];
  for (const host of hosts) {
    if (!isObject(host) || !Array.isArray(host.Subsystems)) continue;
    for (const s of host.Subsystems) {
      if (isObject(s) && typeof s.NQN === 'string') out.push({ name: s.Name === undefined ? undefined : str(s.Name), nqn: s.NQN, controllers: paths(s) });
    }
  }
  return out;
}

function fromRoot(doc: unknown, text: string): ListedSubsystem[] {
  if (!isObject(doc)) throw shapeError(text);
  if (doc.Subsystems === undefined) return [];
  if (!Array.isArray(doc.Subsystems)) throw shapeError(text);
  const out: ListedSubsystem[] = [];
  for (const element of doc.Subsystems) {
    if (!isObject(element)) continue;
    if (typeof element.NQN === 'string') {
      out.push({ name: element.Name === undefined ? undefined : str(element.Name), nqn: element.NQN, controllers: paths(element) });
    } else if (out.length > 0) {
      // The 1.x split form: a Paths-only element belongs to the subsystem printed just before it.
      out[out.length - 1]!.controllers.push(...paths(element));
    }
  }
  return out;
}

function paths(element: Json): ListedController[] {
  const list = element.Paths ?? element.Ctrls;
  if (!Array.isArray(list)) return [];
  return list
    .filter(isObject)
    .filter((p) => typeof p.Name === 'string')
    .map((p) => ({ name: str(p.Name), transport: str(p.Transport), address: str(p.Address), state: str(p.State) }));
}

function shapeError(text: string): ConductorError {
  return new ConductorError('NVME_CLI_FAILED', `nvme list-subsys -o json printed JSON of an unknown shape: ${excerpt(text)}`, { output: excerpt(text) });
}

function excerpt(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
