/**
 * What this node has, read from spdk_tgt: disks (our aio/nvme bdevs with their lvstores), lvols by
 * role (heads, snapshots, revert clones), and replica exports. Built at start and refreshed by
 * reading spdk_tgt again; operations keep it current between reads with the results of their own
 * calls, so a create never has to re-list thousands of bdevs. Nothing here outlives a restart
 * that spdk_tgt would not give back.
 */
import type { Bdev } from '../../spdk/methods/bdev.js';
import type { Lvstore } from '../../spdk/methods/lvol.js';
import type { NvmfSubsystem } from '../../spdk/methods/nvmf.js';
import type { SpdkMethods } from '../../spdk/methods/index.js';
import type { CallOptions } from '../../spdk/call.js';
import { span } from '../../loop-trace.js';
import { mapSliced } from './slices.js';
import { SortedNames } from './sorted-names.js';
import { parseDiskBdev, parseLvolName, parseLvstoreName, parseReplicaNqn, type ParsedLvol } from './naming.js';

export interface DiskRecord {
  name: string;
  bdevName: string;
  kind: 'aio' | 'nvme';
  path: string;
  lvstoreName: string;
  lvstoreUuid: string;
  clusterSize: number;
  blockSize: number;
  totalClusters: number;
  freeClusters: number;
}

export interface LvolRecord {
  /** The lvol's own name inside its lvstore (r.x, s.y.tag, t.x). */
  name: string;
  disk: string;
  uuid: string;
  sizeBytes: number;
  allocatedClusters: number;
  isSnapshot: boolean;
  /** Name (inside the lvstore) of the snapshot this lvol was cloned from. */
  parent: string | undefined;
  /** Names of lvols cloned from this snapshot. */
  clones: string[];
  role: ParsedLvol | undefined;
}

export interface ExportRecord {
  replica: string;
  nqn: string;
  hosts: string[];
  listeners: Array<{ address: string; port: number }>;
  namespace: { nsid: number; bdevName: string; uuid: string; nguid: string } | undefined;
}

export class Inventory {
  readonly disks = new Map<string, DiskRecord>();
  /** Keyed by `${disk}/${lvolName}`. */
  readonly lvols = new Map<string, LvolRecord>();
  /** Replica name → its head, and owner tag → its snapshots: kept with `lvols`, so lookups stay O(1) with thousands of replicas. */
  private readonly headIndex = new Map<string, LvolRecord>();
  private readonly snapshotIndex = new Map<string, Set<LvolRecord>>();
  /** The heads' replica names in order, for pages of the replica list. */
  private readonly headNames = new SortedNames();
  readonly exports = new Map<string, ExportRecord>();
  /** Objects that carry our names but lost their owner (e.g. snapshots of a deleted head). */
  orphans: string[] = [];
  /** Disk bdevs of ours with no lvstore of ours on them: a disk create that never finished. */
  strayDiskBdevs: Array<{ disk: string; kind: 'aio' | 'nvme'; bdev: string }> = [];

  /** Re-reads everything from spdk_tgt (start, recovery, periodic reconciliation). */
  async load(spdk: SpdkMethods, options?: CallOptions): Promise<void> {
    const [lvstores, bdevs, subsystems] = await Promise.all([spdk.lvol.getLvstores(undefined, options), spdk.bdev.getBdevs(undefined, options), spdk.nvmf.getSubsystems(undefined, options)]);
    // Records are made in slices (thousands of bdevs); the maps change in one step, so no
    // operation sees half a refresh.
    const lvstoreByUuid = new Map<string, Lvstore>();
    for (const lvs of lvstores) if (parseLvstoreName(lvs.name) !== undefined) lvstoreByUuid.set(lvs.uuid, lvs);
    const lvols = (
      await mapSliced(bdevs, (bdev) => {
        const lvol = bdev.driver_specific?.lvol as LvolDriverInfo | undefined;
        const lvs = lvol ? lvstoreByUuid.get(lvol.lvol_store_uuid) : undefined;
        return lvs ? lvolRecord(parseLvstoreName(lvs.name)!, (bdev.aliases[0] ?? '').slice(lvs.name.length + 1), bdev) : undefined;
      })
    ).filter((record) => record !== undefined);
    const exports = (await mapSliced(subsystems, exportRecord)).filter((record) => record !== undefined);
    const diskBdevs = (await mapSliced(bdevs, (bdev) => ({ bdev, parsed: parseDiskBdev(bdev.name) }))).filter((d) => d.parsed !== undefined);
    span('inventory refresh', () => {
      this.disks.clear();
      this.lvols.clear();
      this.headIndex.clear();
      this.snapshotIndex.clear();
      this.exports.clear();
      const byName = new Map<string, Bdev>();
      for (const bdev of bdevs) byName.set(bdev.name, bdev);
      for (const lvs of lvstoreByUuid.values()) this.disks.set(parseLvstoreName(lvs.name)!, diskRecord(parseLvstoreName(lvs.name)!, lvs, byName.get(lvs.base_bdev)));
      for (const record of lvols) this.putLvol(record, false);
      this.headNames.reset(this.headIndex.keys());
      for (const record of exports) this.exports.set(record.replica, record);
      this.strayDiskBdevs = [];
      for (const { bdev, parsed } of diskBdevs) {
        if (parsed && this.disks.get(parsed.disk)?.bdevName !== bdev.name) this.strayDiskBdevs.push({ ...parsed, bdev: bdev.name });
      }
    });
  }

  /** Reads the named lvols of a disk back from spdk_tgt after an operation changed them. */
  async reread(ctx: { spdk: SpdkMethods; client: { verdictOf(e: unknown): string | undefined } }, disk: string, names: string[], options?: CallOptions): Promise<void> {
    const record = this.disks.get(disk);
    if (!record) return;
    await Promise.all(
      [...new Set(names)].map(async (name) => {
        let bdev: Bdev | undefined;
        try {
          [bdev] = await ctx.spdk.bdev.getBdevs({ name: `${record.lvstoreName}/${name}` }, options);
        } catch (error) {
          if (ctx.client.verdictOf(error) !== 'gone') throw error;
        }
        if (bdev) this.putLvol(lvolRecord(disk, name, bdev));
        else this.dropLvol(disk, name);
      }),
    );
  }

  /**
   * Reads the allocation of lvols this inventory holds again, and changes nothing else: an lvol
   * an operation adds or drops meanwhile is the operation's to record, never this read's.
   */
  async refreshAllocation(spdk: SpdkMethods, disk: string, names: readonly string[], options?: CallOptions): Promise<void> {
    const record = this.disks.get(disk);
    if (!record) return;
    await Promise.all(
      names.map(async (name) => {
        const [bdev] = await spdk.bdev.getBdevs({ name: `${record.lvstoreName}/${name}` }, options).catch(() => []);
        const lvol = this.lvols.get(`${disk}/${name}`);
        const allocated = (bdev?.driver_specific?.lvol as LvolDriverInfo | undefined)?.num_allocated_clusters;
        if (lvol && allocated !== undefined) lvol.allocatedClusters = allocated;
      }),
    );
  }

  /** `ordered` false: the caller rebuilds the name order afterwards (a whole refresh). */
  putLvol(record: LvolRecord, ordered = true): void {
    const key = `${record.disk}/${record.name}`;
    this.unindex(this.lvols.get(key));
    this.lvols.set(key, record);
    if (record.role?.role === 'head') {
      this.headIndex.set(record.role.replica, record);
      if (ordered) this.headNames.add(record.role.replica);
    }
    if (record.role?.role === 'snapshot') {
      const set = this.snapshotIndex.get(record.role.ownerTag) ?? new Set();
      set.add(record);
      this.snapshotIndex.set(record.role.ownerTag, set);
    }
  }

  lvol(disk: string, name: string): LvolRecord | undefined {
    return this.lvols.get(`${disk}/${name}`);
  }

  dropLvol(disk: string, name: string): void {
    const key = `${disk}/${name}`;
    this.unindex(this.lvols.get(key));
    this.lvols.delete(key);
  }

  /** Every replica head: replica name → its lvol. */
  heads(): ReadonlyMap<string, LvolRecord> {
    return this.headIndex;
  }

  /** Replica names after `after` (all when undefined), in name order. */
  headNamesAfter(after: string | undefined): Iterable<string> {
    return this.headNames.after(after);
  }

  head(replica: string): LvolRecord | undefined {
    return this.headIndex.get(replica);
  }

  /** The snapshot lvols whose names carry this owner tag. */
  snapshotsTagged(tag: string): LvolRecord[] {
    return [...(this.snapshotIndex.get(tag) ?? [])];
  }

  snapshotCountTagged(tag: string): number {
    return this.snapshotIndex.get(tag)?.size ?? 0;
  }

  private unindex(record: LvolRecord | undefined): void {
    if (record?.role?.role === 'head' && this.headIndex.get(record.role.replica) === record) {
      this.headIndex.delete(record.role.replica);
      this.headNames.delete(record.role.replica);
    }
    if (record?.role?.role === 'snapshot') {
      const set = this.snapshotIndex.get(record.role.ownerTag);
      set?.delete(record);
      if (set?.size === 0) this.snapshotIndex.delete(record.role.ownerTag);
    }
  }

  /** Lvols of a disk, for its capacity and replica counts. */
  lvolsOn(disk: string): LvolRecord[] {
    return [...this.lvols.values()].filter((l) => l.disk === disk);
  }
}

interface LvolDriverInfo {
  lvol_store_uuid: string;
  num_allocated_clusters?: number;
  snapshot?: boolean;
  clone?: boolean;
  base_snapshot?: string;
  clones?: string[];
}

function lvolRecord(disk: string, name: string, bdev: Bdev): LvolRecord {
  const lvol = bdev.driver_specific?.lvol as LvolDriverInfo | undefined;
  return {
    name,
    disk,
    uuid: bdev.uuid ?? bdev.name,
    sizeBytes: bdev.num_blocks * bdev.block_size,
    allocatedClusters: lvol?.num_allocated_clusters ?? 0,
    isSnapshot: lvol?.snapshot === true,
    parent: lvol?.base_snapshot ?? undefined,
    clones: lvol?.clones ?? [],
    role: parseLvolName(name),
  };
}

function diskRecord(disk: string, lvs: Lvstore, bdev: Bdev | undefined): DiskRecord {
  const aio = bdev?.driver_specific?.aio as { filename?: string } | undefined;
  const nvme = bdev?.driver_specific?.nvme as Array<{ pci_address?: string; trid?: { traddr?: string } }> | undefined;
  return {
    name: disk,
    bdevName: lvs.base_bdev,
    kind: nvme ? 'nvme' : 'aio',
    path: aio?.filename ?? nvme?.[0]?.pci_address ?? nvme?.[0]?.trid?.traddr ?? '',
    lvstoreName: lvs.name,
    lvstoreUuid: lvs.uuid,
    clusterSize: lvs.cluster_size,
    blockSize: lvs.block_size,
    totalClusters: lvs.total_data_clusters,
    freeClusters: lvs.free_clusters,
  };
}

function exportRecord(subsystem: NvmfSubsystem): ExportRecord | undefined {
  const replica = parseReplicaNqn(subsystem.nqn);
  if (replica === undefined) return undefined;
  const ns = subsystem.namespaces?.[0];
  return {
    replica,
    nqn: subsystem.nqn,
    hosts: (subsystem.hosts ?? []).map((h) => h.nqn),
    listeners: (subsystem.listen_addresses ?? []).map((l) => ({ address: l.traddr, port: Number(l.trsvcid) })),
    namespace: ns ? { nsid: ns.nsid, bdevName: ns.bdev_name, uuid: ns.uuid ?? '', nguid: ns.nguid ?? '' } : undefined,
  };
}
