/**
 * The operations the crash tests interrupt: for each, what it needs first, how it is asked for
 * through the API, the SPDK calls it makes when nothing goes wrong, and how to read the state of
 * its target with names and data hashes replaced by roles, so a case's state can be compared with
 * the uninterrupted run's (done) and with its own state before the call (not done).
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { invoke, type ApiClients } from '../../../src/api/client.js';
import { diskBdevName, lvstoreName, ownerTag, parseLvolName, replicaNqn } from '../../../src/domain/node/naming.js';
import type { SimClient } from '../../sim/helpers/sim-client.js';
import { checksum, type World } from './world.js';

export const MIB = 1024 * 1024;
export const REPLICA_BYTES = 4 * MIB;
const BLOCK = 4096;
export const HOST_A = 'nqn.2014-08.org.nvmexpress:uuid:6b1d8e2a-3c4f-4a5b-9c6d-7e8f9a0b1c2d';
export const HOST_B = 'nqn.2014-08.org.nvmexpress:uuid:0a9b8c7d-6e5f-4d3c-8b2a-1f0e9d8c7b6a';
const CALL = { deadlineMs: 30_000 };

/** What a case set up: its target's name and what its data hashes stand for. */
export interface Prepared {
  name: string;
  /** sha256 of whole-bdev data → a role (zero, v1, v2, ...). */
  data: Map<string, string>;
  /** disk-create: the file the disk goes on. */
  file?: string;
}

export interface SetupContext {
  clients: ApiClients;
  sim: SimClient;
  /** Where disk files go. */
  dir: string;
}

/** The disk every replica of a group lives on. */
export const DISK = 'd0';

export interface Scenario {
  operation: string;
  /** Prefix of the per-case object names. */
  prefix: string;
  /** The SPDK methods the operation calls without a crash, in the order it sends them. */
  calls: string[];
  /** How many of them come before the API answers; the rest run in the background after it. */
  answered: number;
  prepare(ctx: SetupContext, name: string): Promise<Prepared>;
  run(clients: ApiClients, prepared: Prepared): Promise<unknown>;
  /** The target's state in roles: equal for equal outcomes across cases. */
  view(world: World, prepared: Prepared): unknown;
}

export async function createReplica(ctx: SetupContext, name: string): Promise<Prepared> {
  await invoke(ctx.clients.replicas, 'ReplicaCreate', { name, diskName: DISK, sizeBytes: REPLICA_BYTES }, CALL);
  return { name, data: new Map([[zeroHash(REPLICA_BYTES), 'zero']]) };
}

/**
 * Writes version `v` of the replica's data through spdk_tgt (one block at the start, one in the
 * v-th cluster so each version allocates its own) and names the resulting head hash `v<v>`.
 */
export async function writeVersion(ctx: SetupContext, prepared: Prepared, v: number): Promise<void> {
  const alias = `${lvstoreName(DISK)}/r.${prepared.name}`;
  const block = Buffer.alloc(BLOCK);
  block.write(`${prepared.name} data version ${v}`);
  for (const offset of [0, v * 256]) await ctx.sim.call('sim_bdev_write', { name: alias, offset_blocks: offset, data_base64: block.toString('base64') });
  prepared.data.set(await checksum(ctx.sim, alias), `v${v}`);
}

export async function snapshot(ctx: SetupContext, prepared: Prepared, name: string): Promise<void> {
  await invoke(ctx.clients.snapshots, 'SnapshotCreate', { replicaName: prepared.name, name, labels: labelsFor(prepared.name, name), userCreated: true }, CALL);
}

export async function expose(ctx: SetupContext, prepared: Prepared, hosts: string[]): Promise<void> {
  await invoke(ctx.clients.replicas, 'ReplicaExpose', { name: prepared.name, hostNqns: hosts }, CALL);
}

/** A replica with two snapshots: v1 ← s1 ← v2 ← s2 ← head at v3. */
async function chainOfTwo(ctx: SetupContext, name: string): Promise<Prepared> {
  const prepared = await createReplica(ctx, name);
  await writeVersion(ctx, prepared, 1);
  await snapshot(ctx, prepared, 's1');
  await writeVersion(ctx, prepared, 2);
  await snapshot(ctx, prepared, 's2');
  await writeVersion(ctx, prepared, 3);
  return prepared;
}

function labelsFor(replica: string, snapshot: string): Record<string, string> {
  return { owner: replica, purpose: `crash test ${snapshot}` };
}

function zeroHash(bytes: number): string {
  return createHash('sha256').update(Buffer.alloc(bytes)).digest('hex');
}

/** A replica's state in roles: its API view, its lvols and its subsystem as spdk_tgt has them. */
export function replicaView(world: World, prepared: Prepared): unknown {
  const { name } = prepared;
  const tag = ownerTag(name);
  const data = (hash: string): string => prepared.data.get(hash) ?? `unknown data ${hash.slice(0, 12)}`;
  const role = (lvol: string): string | undefined => {
    const parsed = parseLvolName(lvol);
    if (parsed?.role === 'head' && parsed.replica === name) return 'head';
    if (parsed?.role === 'revert' && parsed.replica === name) return 'revert clone';
    if (parsed?.role === 'snapshot' && parsed.ownerTag === tag) return `snapshot ${parsed.snapshot}`;
    return undefined;
  };
  const replica = world.replicas.get(name);
  const lvols = world.spdk.lvols
    .filter((l) => role(l.name) !== undefined)
    .map((l) => ({ lvol: role(l.name)!, parent: l.parent === undefined ? null : (role(l.parent) ?? l.parent), snapshot: l.isSnapshot }))
    .sort((a, b) => a.lvol.localeCompare(b.lvol));
  const subsystem = world.spdk.subsystems.find((s) => s.nqn === replicaNqn(name));
  return {
    replica: replica
      ? {
          disk: replica.api.diskName,
          sizeBytes: replica.api.sizeBytes,
          headParent: replica.api.headParent,
          snapshotCount: replica.api.snapshotCount,
          data: data(replica.data),
          export: replica.api.export ? { hosts: [...replica.api.export.hostNqns].sort(), address: replica.api.export.address } : null,
        }
      : null,
    snapshots: replica
      ? [...replica.snapshots.values()]
          .map((s) => ({
            name: s.name,
            parent: s.parent,
            children: s.children,
            labels: JSON.stringify(s.labels) === JSON.stringify(labelsFor(name, s.name)) ? 'as created' : s.labels,
            userCreated: s.userCreated,
            data: data(s.data),
          }))
          .sort((a, b) => a.name.localeCompare(b.name))
      : null,
    lvols,
    subsystem: subsystem ? { hosts: subsystem.hosts.map((h) => h.nqn).sort(), namespaces: subsystem.namespaces.length, listeners: subsystem.listen_addresses.length } : null,
  };
}

/** A disk's state: what DiskList says and whether spdk_tgt has its bdev and lvstore. */
export function diskView(world: World, prepared: Prepared): unknown {
  const disk = world.disks.get(prepared.name);
  return {
    disk: disk
      ? {
          kind: disk.kind,
          onItsFile: disk.path === prepared.file,
          bdevName: disk.bdevName === diskBdevName(prepared.name),
          lvstoreName: disk.lvstoreName === lvstoreName(prepared.name),
          clusterSizeBytes: disk.clusterSizeBytes,
          blockSize: disk.blockSize,
          totalBytes: disk.totalBytes,
          replicaCount: disk.replicaCount,
        }
      : null,
    bdev: world.spdk.bdevs.some((b) => b.name === diskBdevName(prepared.name)),
    lvstore: world.spdk.lvstores.some((l) => l.name === lvstoreName(prepared.name)),
  };
}

export const SCENARIOS: Scenario[] = [
  {
    operation: 'replica-create',
    prefix: 'rc',
    calls: ['bdev_lvol_create', 'bdev_lvol_get_lvstores'],
    answered: 1,
    prepare: async (_ctx, name) => ({ name, data: new Map([[zeroHash(REPLICA_BYTES), 'zero']]) }),
    run: (clients, p) => invoke(clients.replicas, 'ReplicaCreate', { name: p.name, diskName: DISK, sizeBytes: REPLICA_BYTES }, CALL),
    view: replicaView,
  },
  {
    operation: 'replica-expose',
    prefix: 'rx',
    calls: ['nvmf_create_subsystem', 'nvmf_subsystem_add_host', 'nvmf_subsystem_add_host', 'nvmf_subsystem_add_ns', 'nvmf_subsystem_add_listener'],
    answered: 5,
    prepare: async (ctx, name) => {
      const prepared = await createReplica(ctx, name);
      await writeVersion(ctx, prepared, 1);
      return prepared;
    },
    run: (clients, p) => invoke(clients.replicas, 'ReplicaExpose', { name: p.name, hostNqns: [HOST_A, HOST_B] }, CALL),
    view: replicaView,
  },
  {
    operation: 'snapshot-create',
    prefix: 'sc',
    // The snapshot, then the new snapshot, the head and the head's old parent read back.
    calls: ['bdev_lvol_snapshot', 'bdev_get_bdevs', 'bdev_get_bdevs', 'bdev_get_bdevs'],
    answered: 4,
    prepare: async (ctx, name) => {
      const prepared = await createReplica(ctx, name);
      await writeVersion(ctx, prepared, 1);
      await snapshot(ctx, prepared, 's1');
      await writeVersion(ctx, prepared, 2);
      return prepared;
    },
    run: (clients, p) => invoke(clients.snapshots, 'SnapshotCreate', { replicaName: p.name, name: 's2', labels: labelsFor(p.name, 's2'), userCreated: true }, CALL),
    view: replicaView,
  },
  {
    operation: 'snapshot-delete',
    prefix: 'sd',
    // Deleting s2 merges it into the head: the head and s1 are read back.
    calls: ['bdev_lvol_delete', 'bdev_get_bdevs', 'bdev_get_bdevs'],
    answered: 3,
    prepare: chainOfTwo,
    run: (clients, p) => invoke(clients.snapshots, 'SnapshotDelete', { replicaName: p.name, name: 's2' }, CALL),
    view: replicaView,
  },
  {
    operation: 'snapshot-revert',
    prefix: 'sv',
    // Clone s1 as t.<replica>, read it, delete the head, rename the clone, read back head, s2, s1.
    calls: ['bdev_lvol_clone', 'bdev_get_bdevs', 'bdev_lvol_delete', 'bdev_lvol_rename', 'bdev_get_bdevs', 'bdev_get_bdevs', 'bdev_get_bdevs'],
    answered: 7,
    prepare: chainOfTwo,
    run: (clients, p) => invoke(clients.snapshots, 'SnapshotRevert', { replicaName: p.name, name: 's1' }, CALL),
    view: replicaView,
  },
  {
    operation: 'replica-delete',
    prefix: 'rd',
    // Any host connected to its export? Then subsystem, head, s2, s1; the disk's capacity is refreshed after the answer.
    calls: ['nvmf_subsystem_get_controllers', 'nvmf_delete_subsystem', 'bdev_lvol_delete', 'bdev_lvol_delete', 'bdev_lvol_delete', 'bdev_lvol_get_lvstores'],
    answered: 5,
    prepare: async (ctx, name) => {
      const prepared = await chainOfTwo(ctx, name);
      await expose(ctx, prepared, [HOST_A]);
      return prepared;
    },
    run: (clients, p) => invoke(clients.replicas, 'ReplicaDelete', { name: p.name }, CALL),
    view: replicaView,
  },
  {
    operation: 'disk-create',
    prefix: 'dc',
    // Is the file open in spdk_tgt already? Attach, examine, look for an lvstore, make ours, then read the node back.
    calls: ['bdev_get_bdevs', 'bdev_aio_create', 'bdev_wait_for_examine', 'bdev_lvol_get_lvstores', 'bdev_lvol_create_lvstore', 'bdev_lvol_get_lvstores', 'bdev_get_bdevs', 'nvmf_get_subsystems'],
    answered: 8,
    prepare: async (ctx, name) => {
      const file = path.join(ctx.dir, `${name}.img`);
      fs.writeFileSync(file, '');
      fs.truncateSync(file, 64 * MIB);
      return { name, data: new Map(), file };
    },
    run: (clients, p) => invoke(clients.disks, 'DiskCreate', { name: p.name, path: p.file, kind: 'DISK_KIND_AIO' }, CALL),
    view: diskView,
  },
];
