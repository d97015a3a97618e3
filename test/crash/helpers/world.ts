/**
 * What a node holds, read twice over: from spdk_tgt directly (a raw JSON-RPC client on the
 * simulator's socket, not the service's client) and through the service's API, plus the state
 * file. The crash tests compare such readings before an operation, after a crash and restart, and
 * after a retry; the problem finders here return what is wrong as sentences, empty when all holds.
 */
import fs from 'node:fs';
import { invoke, type ApiClients } from '../../../src/api/client.js';
import type { Disk__Output } from '../../../src/api/generated/spdk/conductor/v1/Disk.js';
import type { Replica__Output } from '../../../src/api/generated/spdk/conductor/v1/Replica.js';
import type { Snapshot__Output } from '../../../src/api/generated/spdk/conductor/v1/Snapshot.js';
import { diskBdevName, lvstoreName, namespaceIds, NQN_PREFIX, ownerTag, parseLvolName, replicaNqn } from '../../../src/domain/node/naming.js';
import type { SimClient } from '../../sim/helpers/sim-client.js';

export interface RawBdev {
  name: string;
  aliases: string[];
  product_name: string;
  num_blocks: number;
  block_size: number;
  driver_specific?: {
    lvol?: { lvol_store_uuid: string; base_snapshot?: string | null; clones?: string[]; snapshot?: boolean; clone?: boolean };
    aio?: { filename: string };
  };
}

export interface RawLvstore {
  uuid: string;
  name: string;
  base_bdev: string;
}

export interface RawSubsystem {
  nqn: string;
  allow_any_host: boolean;
  hosts: Array<{ nqn: string }>;
  listen_addresses: Array<{ traddr: string; trsvcid: string }>;
  namespaces: Array<{ nsid: number; bdev_name: string; uuid?: string; nguid?: string }>;
}

/** One lvol of one of our lvstores, by its name inside the lvstore. */
export interface RawLvol {
  disk: string;
  name: string;
  alias: string;
  parent: string | undefined;
  isSnapshot: boolean;
}

export interface SnapshotView {
  name: string;
  labels: Record<string, string>;
  createdAt: string;
  userCreated: boolean;
  parent: string;
  children: string[];
  /** sha256 of the snapshot's whole data. */
  data: string;
}

export interface ReplicaView {
  api: Replica__Output;
  /** sha256 of the head's whole data. */
  data: string;
  snapshots: Map<string, SnapshotView>;
}

export interface StateFileView {
  text: string;
  parsed:
    | {
        version?: unknown;
        engines?: Record<string, unknown>;
        snapshots?: Record<string, { createdAt: string; labels: Record<string, string>; userCreated: boolean }>;
        intents?: Record<string, unknown>;
      }
    | undefined;
  error: string | undefined;
}

export interface World {
  disks: Map<string, Disk__Output>;
  replicas: Map<string, ReplicaView>;
  spdk: { bdevs: RawBdev[]; lvstores: RawLvstore[]; subsystems: RawSubsystem[]; lvols: RawLvol[] };
  state: StateFileView;
}

const API_DEADLINE = { deadlineMs: 10_000 };

export async function readWorld(clients: ApiClients, sim: SimClient, stateFile: string): Promise<World> {
  const [bdevs, lvstores, subsystems] = await Promise.all([sim.call<RawBdev[]>('bdev_get_bdevs'), sim.call<RawLvstore[]>('bdev_lvol_get_lvstores'), sim.call<RawSubsystem[]>('nvmf_get_subsystems')]);
  const lvols: RawLvol[] = [];
  const storeByUuid = new Map(lvstores.map((l) => [l.uuid, l]));
  for (const bdev of bdevs) {
    const info = bdev.driver_specific?.lvol;
    const store = info ? storeByUuid.get(info.lvol_store_uuid) : undefined;
    if (!info || !store?.name.startsWith('lvs.')) continue;
    const alias = bdev.aliases[0] ?? '';
    lvols.push({ disk: store.name.slice(4), name: alias.slice(store.name.length + 1), alias, parent: info.base_snapshot ?? undefined, isSnapshot: info.snapshot === true });
  }

  const { disks } = await invoke(clients.disks, 'DiskList', {}, API_DEADLINE);
  const { replicas } = await invoke(clients.replicas, 'ReplicaList', { diskName: '' }, API_DEADLINE);
  const views = new Map<string, ReplicaView>();
  for (const replica of replicas) {
    const { snapshots } = await invoke(clients.snapshots, 'SnapshotList', { replicaName: replica.name }, API_DEADLINE);
    views.set(replica.name, {
      api: replica,
      data: await checksum(sim, replica.lvolAlias),
      snapshots: new Map(await Promise.all(snapshots.map(async (s) => [s.name, await snapshotView(sim, replica, s)] as const))),
    });
  }
  return {
    disks: new Map(disks.map((d) => [d.name, d])),
    replicas: views,
    spdk: { bdevs, lvstores, subsystems, lvols },
    state: readStateFile(stateFile),
  };
}

export async function checksum(sim: SimClient, bdev: string): Promise<string> {
  return (await sim.call<{ sha256: string }>('sim_bdev_checksum', { name: bdev })).sha256;
}

async function snapshotView(sim: SimClient, replica: Replica__Output, s: Snapshot__Output): Promise<SnapshotView> {
  const alias = `${lvstoreName(replica.diskName)}/s.${s.name}.${ownerTag(replica.name)}`;
  const at = s.createdAt ? new Date(Number(s.createdAt.seconds) * 1000 + Math.floor(s.createdAt.nanos / 1e6)).toISOString() : '';
  return {
    name: s.name,
    labels: Object.fromEntries(Object.entries(s.labels).sort(([a], [b]) => a.localeCompare(b))),
    createdAt: at,
    userCreated: s.userCreated,
    parent: s.parent,
    children: [...s.children].sort(),
    data: await checksum(sim, alias),
  };
}

export function readStateFile(file: string): StateFileView {
  let text = '';
  try {
    text = fs.readFileSync(file, 'utf8');
    return { text, parsed: JSON.parse(text) as StateFileView['parsed'], error: undefined };
  } catch (error) {
    return { text, parsed: undefined, error: (error as Error).message };
  }
}

/**
 * (a) No orphans: every lvol of our lvstores is a listed replica's head or a snapshot its
 * SnapshotList shows (no revert clone left), every subsystem of ours belongs to a listed replica
 * and is complete, every disk bdev and lvstore of ours belongs to a listed disk.
 */
export function orphanProblems(world: World): string[] {
  const problems: string[] = [];
  const byTag = new Map<string, ReplicaView>();
  for (const replica of world.replicas.values()) byTag.set(ownerTag(replica.api.name), replica);

  for (const lvol of world.spdk.lvols) {
    const role = parseLvolName(lvol.name);
    if (!world.disks.has(lvol.disk)) problems.push(`lvol ${lvol.alias} is on lvstore ${lvstoreName(lvol.disk)}, which DiskList does not show`);
    if (role?.role === 'head') {
      const replica = world.replicas.get(role.replica);
      if (!replica) problems.push(`lvol ${lvol.alias} is the head of replica ${role.replica}, which ReplicaList does not show`);
      else if (replica.api.lvolAlias !== lvol.alias) problems.push(`lvol ${lvol.alias}: ReplicaList shows ${role.replica} at ${replica.api.lvolAlias}`);
    } else if (role?.role === 'snapshot') {
      const replica = byTag.get(role.ownerTag);
      if (!replica) problems.push(`lvol ${lvol.alias} is a snapshot of a replica ReplicaList does not show`);
      else if (!replica.snapshots.has(role.snapshot)) problems.push(`lvol ${lvol.alias} is not in SnapshotList of ${replica.api.name}`);
    } else if (role?.role === 'revert') {
      problems.push(`revert clone ${lvol.alias} left behind`);
    } else {
      problems.push(`lvol ${lvol.alias} has a name this service does not give`);
    }
  }
  const lvolAliases = new Set(world.spdk.lvols.map((l) => l.alias));
  for (const replica of world.replicas.values()) {
    if (!lvolAliases.has(replica.api.lvolAlias)) problems.push(`ReplicaList shows ${replica.api.name}, but spdk_tgt has no lvol ${replica.api.lvolAlias}`);
    for (const s of replica.snapshots.values()) {
      const alias = `${lvstoreName(replica.api.diskName)}/s.${s.name}.${ownerTag(replica.api.name)}`;
      if (!lvolAliases.has(alias)) problems.push(`SnapshotList of ${replica.api.name} shows ${s.name}, but spdk_tgt has no lvol ${alias}`);
    }
  }

  const subsystems = new Map(world.spdk.subsystems.map((s) => [s.nqn, s]));
  for (const subsystem of world.spdk.subsystems) {
    if (!subsystem.nqn.startsWith(`${NQN_PREFIX}:replica:`)) continue;
    const name = subsystem.nqn.slice(`${NQN_PREFIX}:replica:`.length);
    const replica = world.replicas.get(name);
    if (!replica) {
      problems.push(`subsystem ${subsystem.nqn} has no replica in ReplicaList`);
      continue;
    }
    problems.push(...subsystemProblems(subsystem, replica.api));
  }
  for (const replica of world.replicas.values()) {
    const exported = replica.api.export;
    if (exported && !subsystems.has(exported.nqn)) problems.push(`replica ${replica.api.name} shows export ${exported.nqn}, which spdk_tgt does not have`);
    if (!exported && subsystems.has(replicaNqn(replica.api.name))) problems.push(`replica ${replica.api.name} shows no export, but spdk_tgt has its subsystem`);
  }

  const lvstoreNames = new Set(world.spdk.lvstores.map((l) => l.name));
  for (const lvs of world.spdk.lvstores) {
    if (lvs.name.startsWith('lvs.') && !world.disks.has(lvs.name.slice(4))) problems.push(`lvstore ${lvs.name} belongs to no disk DiskList shows`);
  }
  for (const bdev of world.spdk.bdevs) {
    if (bdev.product_name !== 'AIO disk' || !bdev.name.startsWith('d.')) continue;
    if (!world.disks.has(bdev.name.slice(2))) problems.push(`disk bdev ${bdev.name} (${bdev.driver_specific?.aio?.filename ?? '?'}) belongs to no disk DiskList shows`);
  }
  for (const disk of world.disks.values()) {
    if (!lvstoreNames.has(lvstoreName(disk.name))) problems.push(`DiskList shows ${disk.name}, but spdk_tgt has no lvstore ${lvstoreName(disk.name)}`);
    if (!world.spdk.bdevs.some((b) => b.name === diskBdevName(disk.name))) problems.push(`DiskList shows ${disk.name}, but spdk_tgt has no bdev ${diskBdevName(disk.name)}`);
  }
  return problems;
}

function subsystemProblems(subsystem: RawSubsystem, replica: Replica__Output): string[] {
  const problems: string[] = [];
  const ids = namespaceIds('replica', replica.name);
  const what = `subsystem ${subsystem.nqn}`;
  if (subsystem.allow_any_host) problems.push(`${what} allows any host`);
  const [ns, ...moreNs] = subsystem.namespaces;
  if (!ns || moreNs.length) problems.push(`${what} has ${subsystem.namespaces.length} namespaces, not 1`);
  // spdk_tgt names a namespace's bdev by the bdev's name, which for an lvol is its uuid.
  else if (![replica.lvolUuid, replica.lvolAlias].includes(ns.bdev_name) || ns.uuid !== ids.uuid) {
    problems.push(`${what}: namespace ${ns.bdev_name} ${ns.uuid ?? ''} is not ${replica.lvolAlias} (${replica.lvolUuid}) ${ids.uuid}`);
  }
  if (subsystem.listen_addresses.length !== 1) problems.push(`${what} has ${subsystem.listen_addresses.length} listeners, not 1`);
  if (subsystem.hosts.length === 0) problems.push(`${what} has no hosts`);
  const exported = replica.export;
  if (!exported) problems.push(`${what} exists, but ReplicaGet of ${replica.name} shows no export`);
  else {
    const hosts = subsystem.hosts.map((h) => h.nqn).sort();
    if (JSON.stringify(hosts) !== JSON.stringify([...exported.hostNqns].sort())) problems.push(`${what} admits ${hosts.join(',')}; the API says ${exported.hostNqns.join(',')}`);
    const listener = subsystem.listen_addresses[0];
    if (listener && Number(listener.trsvcid) !== exported.port) problems.push(`${what} listens on ${listener.trsvcid}; the API says ${exported.port}`);
  }
  return problems;
}

/** (d) The state file parses, has no leftover intent, and holds metadata exactly for the listed snapshots. */
export function stateFileProblems(world: World): string[] {
  const { parsed, error } = world.state;
  if (!parsed) return [`the state file does not parse: ${error}`];
  const problems: string[] = [];
  if (parsed.version !== 2) problems.push(`state file version ${String(parsed.version)}`);
  const intents = Object.keys(parsed.intents ?? {});
  if (intents.length) problems.push(`leftover intents: ${JSON.stringify(parsed.intents)}`);
  const listed = new Set<string>();
  for (const replica of world.replicas.values()) for (const s of replica.snapshots.keys()) listed.add(`${replica.api.name}/${s}`);
  const kept = new Set(Object.keys(parsed.snapshots ?? {}));
  for (const key of kept) if (!listed.has(key)) problems.push(`state file keeps metadata of ${key}, which is not a listed snapshot`);
  for (const key of listed) if (!kept.has(key)) problems.push(`snapshot ${key} has no metadata in the state file`);
  return problems;
}

/**
 * (b) Nothing lost: every disk, replica and snapshot of `before` is still there with the same
 * data, labels, creation time, export and place in its chain. `changing` names the replica the
 * operation acts on: the caller judges it as a whole (done or not done); its snapshots that
 * survive must still keep their data, labels and creation times.
 */
export function lostProblems(before: World, after: World, changing: { replica?: string; disk?: string } = {}): string[] {
  const problems: string[] = [];
  for (const [name, disk] of before.disks) {
    const now = after.disks.get(name);
    if (!now) problems.push(`disk ${name} is gone`);
    else if (now.lvstoreUuid !== disk.lvstoreUuid) problems.push(`disk ${name} has another lvstore (${disk.lvstoreUuid} → ${now.lvstoreUuid})`);
  }
  for (const [name, replica] of before.replicas) {
    const now = after.replicas.get(name);
    if (name === changing.replica) {
      for (const [snapshot, s] of replica.snapshots) {
        const later = now?.snapshots.get(snapshot);
        if (later) problems.push(...snapshotChanges(`${name}/${snapshot}`, s, later, false));
      }
      continue;
    }
    if (!now) {
      problems.push(`replica ${name} is gone`);
      continue;
    }
    const a = replica.api;
    const b = now.api;
    if (a.diskName !== b.diskName || a.sizeBytes !== b.sizeBytes || a.lvolUuid !== b.lvolUuid)
      problems.push(`replica ${name} changed: ${a.diskName}/${a.sizeBytes}/${a.lvolUuid} → ${b.diskName}/${b.sizeBytes}/${b.lvolUuid}`);
    if (a.headParent !== b.headParent) problems.push(`replica ${name}: head parent ${a.headParent} → ${b.headParent}`);
    if (replica.data !== now.data) problems.push(`replica ${name}: head data changed`);
    if (JSON.stringify(exportOf(a)) !== JSON.stringify(exportOf(b))) problems.push(`replica ${name}: export ${JSON.stringify(exportOf(a))} → ${JSON.stringify(exportOf(b))}`);
    for (const [snapshot, s] of replica.snapshots) {
      const later = now.snapshots.get(snapshot);
      if (!later) problems.push(`snapshot ${name}/${snapshot} is gone`);
      else problems.push(...snapshotChanges(`${name}/${snapshot}`, s, later, true));
    }
  }
  return problems;
}

function snapshotChanges(what: string, a: SnapshotView, b: SnapshotView, chainToo: boolean): string[] {
  const problems: string[] = [];
  if (a.data !== b.data) problems.push(`snapshot ${what}: data changed`);
  if (a.createdAt !== b.createdAt) problems.push(`snapshot ${what}: created ${a.createdAt} → ${b.createdAt}`);
  if (JSON.stringify(a.labels) !== JSON.stringify(b.labels)) problems.push(`snapshot ${what}: labels ${JSON.stringify(a.labels)} → ${JSON.stringify(b.labels)}`);
  if (a.userCreated !== b.userCreated) problems.push(`snapshot ${what}: user_created ${a.userCreated} → ${b.userCreated}`);
  if (chainToo && (a.parent !== b.parent || a.children.join() !== b.children.join()))
    problems.push(`snapshot ${what}: chain ${a.parent}<-${a.children.join(',')} → ${b.parent}<-${b.children.join(',')}`);
  return problems;
}

function exportOf(replica: Replica__Output): unknown {
  const e = replica.export;
  return e ? { nqn: e.nqn, port: e.port, hosts: [...e.hostNqns].sort(), uuid: e.namespaceUuid } : null;
}

/** Snapshots that appeared between `before` and `after` must carry a creation time inside the window. */
export function newSnapshotTimeProblems(before: World, after: World, fromMs: number, toMs: number): string[] {
  const problems: string[] = [];
  for (const [name, replica] of after.replicas) {
    for (const [snapshot, s] of replica.snapshots) {
      if (before.replicas.get(name)?.snapshots.has(snapshot)) continue;
      const at = Date.parse(s.createdAt);
      if (!(at >= fromMs && at <= toMs))
        problems.push(`new snapshot ${name}/${snapshot} says it was created at ${s.createdAt}, outside ${new Date(fromMs).toISOString()}..${new Date(toMs).toISOString()}`);
    }
  }
  return problems;
}
