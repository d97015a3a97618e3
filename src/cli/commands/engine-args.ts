/**
 * The engine commands' compound options, read into API messages before anything is contacted:
 *
 *   --replica name=r1,address=10.0.0.5,port=20001,nqn=nqn.2024-11.io.spdk-conductor:replica:r1[,api=10.0.0.5:50151]
 *   --replica name=r2,local
 *   --frontend nvme-host|export-only
 *   --override replica.ctrlrLossTimeoutSec=10   (a field of the timeout budget, as `timeouts check` names it)
 *
 * Only the shape is checked here; the service checks names, addresses and NQNs, and the budget's
 * rules, and says which field is wrong.
 */
import type { EngineReplica } from '../../api/generated/spdk/conductor/v1/EngineReplica.js';
import type { FrontendKind } from '../../api/generated/spdk/conductor/v1/FrontendKind.js';
import type { TimeoutsOverride } from '../../api/generated/spdk/conductor/v1/TimeoutsOverride.js';
import { isKeyFileOption, readKeyFiles, type KeyFileOption } from './key-files.js';
import { UsageError } from './usage.js';
import { portProblem, splitHostPort } from '../../validation/network.js';

const REPLICA_KEYS = ['name', 'address', 'port', 'nqn', 'api', 'local', 'dhchap-key-file', 'dhchap-ctrlr-key-file', 'psk-file'] as const;
type ReplicaKey = (typeof REPLICA_KEYS)[number];

export const REPLICA_SPEC_HELP =
  'name=NAME,address=IP,port=PORT,nqn=NQN[,api=HOST:PORT][,dhchap-key-file=FILE][,dhchap-ctrlr-key-file=FILE][,psk-file=FILE] (a replica another node exposes) or name=NAME,local (one on this node)';

/** Said once in help: what api= is for. */
export const REPLICA_API_HELP = "api=HOST:PORT is the spdk-conductor API of the replica's node; without it a rebuild onto or from it cannot copy snapshots";

export function parseReplicaSpec(text: string): EngineReplica {
  const found = new Map<ReplicaKey, string | true>();
  for (const part of text.split(',')) {
    const item = part.trim();
    if (item === '') continue;
    const eq = item.indexOf('=');
    const key = (eq < 0 ? item : item.slice(0, eq)) as ReplicaKey;
    if (!REPLICA_KEYS.includes(key)) throw new UsageError(`--replica ${JSON.stringify(text)}: unknown key ${JSON.stringify(key)}; use ${REPLICA_SPEC_HELP}`);
    if (found.has(key)) throw new UsageError(`--replica ${JSON.stringify(text)}: ${key} is given twice`);
    if (key === 'local' && eq >= 0) throw new UsageError(`--replica ${JSON.stringify(text)}: write "local" on its own, without a value`);
    if (key !== 'local' && eq < 0) throw new UsageError(`--replica ${JSON.stringify(text)}: ${key} needs a value (${key}=...)`);
    found.set(key, eq < 0 ? true : item.slice(eq + 1));
  }
  const name = found.get('name');
  if (typeof name !== 'string' || name === '') throw new UsageError(`--replica ${JSON.stringify(text)}: name=NAME is required; use ${REPLICA_SPEC_HELP}`);
  if (found.has('local')) {
    const extra = (['address', 'port', 'nqn', 'api', 'dhchap-key-file', 'dhchap-ctrlr-key-file', 'psk-file'] as const).filter((k) => found.has(k));
    if (extra.length > 0) throw new UsageError(`--replica ${JSON.stringify(text)}: a local replica takes only its name, not ${extra.join(', ')}`);
    return { local: { name } };
  }
  const missing = (['address', 'port', 'nqn'] as const).filter((k) => !found.get(k));
  if (missing.length > 0) throw new UsageError(`--replica ${JSON.stringify(text)}: a remote replica needs ${missing.join(', ')} (or add "local" for one on this node)`);
  const portText = found.get('port') as string;
  const port = /^\d{1,5}$/.test(portText) ? Number(portText) : NaN;
  if (portProblem(port) !== undefined) throw new UsageError(`--replica ${JSON.stringify(text)}: port ${JSON.stringify(portText)} is not a TCP port (1-65535)`);
  const api = found.get('api') as string | undefined;
  if (api !== undefined && portProblem(splitHostPort(api)?.port) !== undefined) {
    throw new UsageError(`--replica ${JSON.stringify(text)}: api ${JSON.stringify(api)} is not HOST:PORT (the spdk-conductor API of the replica's node)`);
  }
  const files = Object.fromEntries([...found].filter((entry): entry is [KeyFileOption, string] => isKeyFileOption(entry[0]) && typeof entry[1] === 'string'));
  if (files['dhchap-ctrlr-key-file'] !== undefined && files['dhchap-key-file'] === undefined) {
    throw new UsageError(`--replica ${JSON.stringify(text)}: dhchap-ctrlr-key-file (bidirectional) needs dhchap-key-file too`);
  }
  const secrets = readKeyFiles(`--replica ${name}`, files);
  return { remote: { name, address: found.get('address') as string, port, nqn: found.get('nqn') as string, ...(api === undefined ? {} : { apiAddress: api }), ...secrets } };
}

export function parseReplicaSpecs(values: readonly string[] | undefined, command: string, least: number): EngineReplica[] {
  const specs = (values ?? []).map(parseReplicaSpec);
  if (specs.length < least) {
    throw new UsageError(`${command} needs ${least === 1 ? 'a' : `at least ${least}`} --replica ${REPLICA_SPEC_HELP}${least > 1 ? ', one per replica' : ''}`);
  }
  return specs;
}

const FRONTENDS: Record<string, FrontendKind> = { 'nvme-host': 'FRONTEND_KIND_NVME_HOST', 'export-only': 'FRONTEND_KIND_EXPORT_ONLY' };

export function parseFrontend(value: string | undefined): FrontendKind {
  if (value === undefined) throw new UsageError('engine create needs --frontend: nvme-host (this node connects to the volume) or export-only (hosts connect themselves)');
  const kind = Object.hasOwn(FRONTENDS, value) ? FRONTENDS[value] : undefined;
  if (!kind) throw new UsageError(`--frontend ${JSON.stringify(value)} is not a frontend; use nvme-host or export-only`);
  return kind;
}

/** Overridable fields and the integer range their proto type carries. */
const OVERRIDE_FIELDS = {
  'host.ctrlLossTmoSec': 'uint32',
  'host.reconnectDelaySec': 'uint32',
  'host.keepAliveTmoSec': 'uint32',
  'host.ioTimeoutSec': 'uint32',
  'replica.reconnectDelaySec': 'uint32',
  'replica.fastIoFailTimeoutSec': 'uint32',
  'replica.ctrlrLossTimeoutSec': 'int32',
  'replica.keepAliveTimeoutMs': 'uint32',
  'replica.transportAckTimeout': 'uint32',
} as const;
type OverrideField = keyof typeof OVERRIDE_FIELDS;

const RANGES = { uint32: [0, 2 ** 32 - 1], int32: [-(2 ** 31), 2 ** 31 - 1] } as const;

export function parseOverrides(values: readonly string[] | undefined): TimeoutsOverride | undefined {
  if (!values?.length) return undefined;
  const host: Record<string, number> = {};
  const replica: Record<string, number> = {};
  for (const text of values) {
    const match = /^\s*([a-z]+\.[A-Za-z]+)\s*=\s*(-?\d+)\s*$/.exec(text);
    const field = match?.[1] as OverrideField | undefined;
    if (!match || !field || !Object.hasOwn(OVERRIDE_FIELDS, field)) {
      throw new UsageError(`--override ${JSON.stringify(text)} is not FIELD=INTEGER with FIELD one of ${Object.keys(OVERRIDE_FIELDS).join(', ')}`);
    }
    const value = Number(match[2]);
    const [min, max] = RANGES[OVERRIDE_FIELDS[field]];
    if (!Number.isSafeInteger(value) || value < min || value > max) throw new UsageError(`--override ${field}=${match[2]} is out of range (${min} to ${max})`);
    const [side, key] = field.split('.') as ['host' | 'replica', string];
    const target = side === 'host' ? host : replica;
    if (Object.hasOwn(target, key)) throw new UsageError(`--override ${field} is given twice`);
    target[key] = value;
  }
  return { host, replica };
}
