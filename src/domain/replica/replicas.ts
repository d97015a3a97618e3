/**
 * Replicas: a thin lvol (the head, r.<name>) on a disk, its snapshots, and its export. Every
 * operation runs under the replica's lock; creates are idempotent and deletes succeed on what is
 * already gone. A delete records its intent first, so a crash midway is finished at restart.
 */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import { hostList, sameHosts, type Exports } from './exports.js';
import type { ReplicaUsage } from './usage.js';
import type { LvolRecord } from '../node/inventory.js';
import type { DeleteOutcome, ExportInfo, PageRequest, ReplicaInfo } from '../model.js';
import { pageNames } from '../node/sorted-names.js';
import { alias, checkName, headLvolName, ownerTag } from '../node/naming.js';
import { deleteQuietly, existsVerdict, translate } from '../node/spdk-verdicts.js';
import { sizeBytesProblem } from '../../validation/sizes.js';
import { ResumePacing, resumeEach } from '../node/resume-pacing.js';

const MIB = 1024 * 1024;

export class Replicas {
  /** Where the monitor's allocation refresh goes on from. */
  private refreshFrom = 0;

  constructor(
    private readonly ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'state' | 'locks' | 'events' | 'log' | 'copyHolds'>,
    private readonly exports: Exports,
    private readonly usage: ReplicaUsage,
  ) {}

  /** Waits between the engine monitor's tries of a replica delete that failed half-way. */
  private readonly deletePacing = new ResumePacing();

  async create(name: string, diskName: string, sizeBytes: number, options?: CallOptions): Promise<ReplicaInfo> {
    return this.ctx.locks.with(`replica:${checkName('replica', name)}`, () => this.createHeld(name, diskName, sizeBytes, options));
  }

  /** The create itself, for callers that already hold the replica's lock; `logged` false when the caller logs the operation. */
  async createHeld(name: string, diskName: string, sizeBytes: number, options?: CallOptions, logged = true): Promise<ReplicaInfo> {
    checkName('replica', name);
    checkName('disk', diskName);
    if (this.deleteUnfinished(name)) await this.finishDeleteBeforeCreate(name, options);
    {
      const disk = this.ctx.inventory.disks.get(diskName);
      if (!disk) throw new ConductorError('DISK_NOT_FOUND', `disk ${diskName} does not exist on this node; create it first`);
      checkSize(sizeBytes, disk.clusterSize, disk.totalClusters * disk.clusterSize);
      const existing = this.ctx.inventory.head(name);
      if (existing) return this.existing(existing, diskName, sizeBytes, []);
      const lvolName = headLvolName(name);
      let uuid: string;
      try {
        uuid = await this.ctx.spdk.lvol.create({ lvol_name: lvolName, size_in_mib: sizeBytes / MIB, thin_provision: true, lvs_name: disk.lvstoreName, clear_method: 'unmap' }, options);
      } catch (error) {
        if (existsVerdict(this.ctx, error) !== 'exists') throw translate(error, `replica ${name}`);
        // Made by an earlier attempt whose answer was lost: adopt it if it is what was asked.
        const [bdev] = await this.ctx.spdk.bdev.getBdevs({ name: alias(diskName, lvolName) }, options);
        if (!bdev || bdev.num_blocks * bdev.block_size !== sizeBytes) throw new ConductorError('REPLICA_EXISTS', `lvol ${alias(diskName, lvolName)} exists with another size`);
        uuid = bdev.uuid;
      }
      const record: LvolRecord = {
        name: lvolName,
        disk: diskName,
        uuid,
        sizeBytes,
        allocatedClusters: 0,
        isSnapshot: false,
        parent: undefined,
        clones: [],
        role: { role: 'head', replica: name },
      };
      this.ctx.inventory.putLvol(record);
      const info = this.info(record);
      this.ctx.events.emit('added', info, 'created');
      if (logged) this.ctx.log.info({ replica: name, disk: diskName, sizeBytes }, 'replica created');
      return info;
    }
  }

  /**
   * A create of a replica that exists: idempotent only when the request is the replica, export
   * included (`hostNqns` as a set; none means not exposed). Anything else would answer OK while
   * changing nothing, or change what the caller did not ask to change; REPLICA_EXISTS names it.
   */
  existing(head: LvolRecord, diskName: string, sizeBytes: number, hostNqns: readonly string[]): ReplicaInfo {
    const info = this.info(head);
    const differs: string[] = [];
    if (head.disk !== diskName) differs.push(`disk ${head.disk} (asked ${diskName})`);
    if (head.sizeBytes !== sizeBytes) differs.push(`size ${head.sizeBytes} (asked ${sizeBytes})`);
    const hosts = info.export?.hostNqns ?? [];
    if (!sameHosts(hosts, hostNqns)) {
      differs.push(
        hosts.length === 0 ? `no export (asked to expose it to ${hostList(hostNqns)})` : `an export to ${hostList(hosts)} (asked ${hostNqns.length === 0 ? 'for none' : hostList(hostNqns)})`,
      );
    }
    if (differs.length) throw new ConductorError('REPLICA_EXISTS', `replica ${info.name} exists with ${differs.join(', ')}; delete it or use another name`);
    return info;
  }

  get(name: string): ReplicaInfo {
    return this.info(this.head(name));
  }

  /**
   * Get with the head's allocation read from spdk_tgt now: writes through an export or a raid
   * change it and nothing tells this node. Unreachable, the cached view answers (said stale).
   */
  async getFresh(name: string, options?: CallOptions): Promise<ReplicaInfo> {
    const head = this.head(name);
    await this.ctx.inventory.refreshAllocation(this.ctx.spdk, head.disk, [head.name], options);
    return this.get(name);
  }

  /**
   * The monitor's share of the same: the next `limit` heads, in turn, have their allocation read
   * again (one pipelined read each), so lists catch up with host writes at a bounded cost.
   */
  async refreshAllocation(limit: number, options?: CallOptions): Promise<void> {
    const heads = [...this.ctx.inventory.heads().values()];
    if (heads.length === 0) return;
    this.refreshFrom %= heads.length;
    const batch = heads.slice(this.refreshFrom, this.refreshFrom + limit);
    this.refreshFrom += batch.length;
    const byDisk = new Map<string, string[]>();
    for (const head of batch) byDisk.set(head.disk, [...(byDisk.get(head.disk) ?? []), head.name]);
    await Promise.all([...byDisk].map(([disk, names]) => this.ctx.inventory.refreshAllocation(this.ctx.spdk, disk, names, options)));
  }

  /** With `page`, only that page is described (see PageRequest). */
  list(diskName: string | undefined, page?: PageRequest): ReplicaInfo[] {
    if (diskName !== undefined && diskName !== '') checkName('disk', diskName);
    const inventory = this.ctx.inventory;
    if (page) {
      const names = pageNames(inventory.headNamesAfter(page.after), page, diskName ? (name) => inventory.head(name)?.disk === diskName : undefined);
      return names.map((name) => this.info(inventory.head(name)!));
    }
    const heads = [...inventory.heads().values()];
    return heads.filter((h) => !diskName || h.disk === diskName).map((h) => this.info(h));
  }

  /**
   * Refused while an engine or a connected host uses the replica, unless `force`. The growth must
   * fit in the disk's free space (an engine's rebuild writes the whole range). `checkOnly`: every
   * check, nothing changed (an engine expansion asks each member first).
   */
  async expand(name: string, sizeBytes: number, options?: CallOptions, force = false, checkOnly = false): Promise<ReplicaInfo> {
    checkName('replica', name);
    return this.ctx.locks.with(`replica:${name}`, async () => {
      const head = this.head(name);
      const disk = this.ctx.inventory.disks.get(head.disk)!;
      checkSize(sizeBytes, disk.clusterSize, disk.totalClusters * disk.clusterSize);
      if (sizeBytes < head.sizeBytes)
        throw new ConductorError('INVALID_SIZE', `replica ${name} is ${head.sizeBytes} bytes; shrinking to ${sizeBytes} is refused (it would destroy data)`, { field: 'size_bytes' });
      if (sizeBytes === head.sizeBytes) return this.info(head);
      const [lvs] = await this.ctx.spdk.lvol.getLvstores({ lvs_name: disk.lvstoreName }, options);
      if (lvs) disk.freeClusters = lvs.free_clusters;
      const freeBytes = disk.freeClusters * disk.clusterSize;
      if (sizeBytes - head.sizeBytes > freeBytes)
        throw new ConductorError(
          'DISK_FULL',
          `replica ${name} would grow by ${sizeBytes - head.sizeBytes} bytes (${head.sizeBytes} to ${sizeBytes}); disk ${head.disk} has ${freeBytes} bytes free; nothing was changed`,
          { field: 'size_bytes' },
        );
      await this.usage.refuseIfUsed(name, `expand to ${sizeBytes} bytes`, force, options);
      if (checkOnly) return this.info(head);
      try {
        await this.ctx.spdk.lvol.resize({ name: alias(head.disk, head.name), size_in_mib: sizeBytes / MIB }, options);
      } catch (error) {
        throw translate(error, `expand ${name}`);
      }
      head.sizeBytes = sizeBytes;
      // The new size and allocation as spdk_tgt has them; the resize is done whatever this read does.
      await this.ctx.inventory.reread(this.ctx, head.disk, [head.name], options).catch(() => undefined);
      const info = this.info(this.ctx.inventory.head(name) ?? head);
      this.ctx.events.emit('modified', info, `expanded to ${sizeBytes} bytes`);
      return info;
    });
  }

  /** Refused while an engine or a connected host uses the replica, unless `force`. */
  async delete(name: string, options?: CallOptions, force = false): Promise<DeleteOutcome> {
    checkName('replica', name);
    return this.ctx.locks.with(`replica:${name}`, async () => {
      const head = this.ctx.inventory.head(name);
      const disk = head?.disk ?? this.diskOfSnapshots(name);
      if (!head && disk === undefined && !this.ctx.inventory.exports.has(name)) return 'already-absent';
      await this.usage.refuseIfUsed(name, 'delete', force, options);
      const before = head ? this.info(head) : undefined;
      if (disk !== undefined) await this.ctx.state.setIntent({ op: 'replica-delete', replica: name, disk });
      const held = disk !== undefined ? this.heldSnapshot(name, disk) : undefined;
      if (held && disk !== undefined) {
        // A backup's shallow copy reads one of its snapshots: that snapshot (and those below it,
        // which would merge into it) cannot be deleted until the copy ends (copy-holds.ts). The
        // export and the head go now (a copy does not lock its source's clone); the recorded
        // intent finishes the rest once the copy ends, or at the next start.
        await this.exports.unexpose(name, options);
        await deleteQuietly(this.ctx, () => this.ctx.spdk.lvol.delete({ name: alias(disk, headLvolName(name)) }, options));
        this.ctx.inventory.dropLvol(disk, headLvolName(name));
        this.deferFinish(name, disk, held.ended);
        if (before) this.ctx.events.emit('deleted', before, `deleted (its snapshots go once ${held.holder}'s copy ends)`);
        this.ctx.log.info({ replica: name, reader: held.holder }, 'replica deleted; its snapshots go once the copy reading one ends');
        return 'deleted';
      }
      await this.finishDelete(name, disk, options);
      if (before) this.ctx.events.emit('deleted', before, 'deleted');
      this.ctx.log.info({ replica: name }, 'replica deleted');
      return 'deleted';
    });
  }

  /** Whether a delete of `name` is recorded and not finished (a create must finish it first). */
  deleteUnfinished(name: string): boolean {
    return this.ctx.state.intentOf(name)?.op === 'replica-delete';
  }

  /**
   * A create of a name whose recorded delete did not finish (a step failed; its head may be gone
   * or still there, its snapshots and export may be left) finishes that delete first, under the
   * caller's lock of the name: otherwise the new replica would list the old one's snapshots as its
   * own, or be the old one, and the recorded intent would delete it at the next start. While a
   * copy reads one of the old snapshots, or when finishing fails, nothing is created.
   */
  async finishDeleteBeforeCreate(name: string, options?: CallOptions): Promise<void> {
    const intent = this.ctx.state.intentOf(name);
    if (intent?.op !== 'replica-delete') return;
    const held = this.heldSnapshot(name, intent.disk);
    if (held) {
      throw new ConductorError(
        'REPLICA_DELETE_UNFINISHED',
        `an earlier delete of replica ${name} waits for ${held.holder}'s copy of one of its snapshots to end; nothing was created: create it after that, or choose another name`,
        { replica: name },
      );
    }
    try {
      await this.finishDelete(name, intent.disk, options);
    } catch (error) {
      throw new ConductorError(
        'REPLICA_DELETE_UNFINISHED',
        `an earlier delete of replica ${name} did not finish, and finishing it now failed (${(error as Error).message}); nothing was created; the node finishes the delete by itself: retry`,
        { replica: name },
      );
    }
    this.ctx.log.info({ replica: name }, 'an unfinished delete of the replica finished before its name was created again');
  }

  /**
   * Finishes every recorded replica delete no call is on and no copy holds (the engine monitor's
   * pass; `paced`: only those whose wait after a failed try is over): a delete that failed half-way
   * does not leave its snapshots and export until the next start. Never throws.
   */
  async finishUnfinishedDeletes(paced: boolean, options?: CallOptions): Promise<void> {
    const unfinished = this.ctx.state
      .intents()
      // One a copy holds finishes when the copy ends (deferFinish): not listed, so not logged each pass.
      .flatMap((i) => (i.op === 'replica-delete' && !this.heldSnapshot(i.replica, i.disk) ? [{ name: i.replica, detail: { disk: i.disk } }] : []));
    await resumeEach(this.ctx.log, this.deletePacing, { kind: 'replica', what: 'delete', orOperator: 'ReplicaDelete again' }, unfinished, paced, (replica) =>
      this.ctx.locks.with(`replica:${replica}`, async () => {
        const intent = this.ctx.state.intentOf(replica);
        // A call finished it meanwhile, or a copy's end will (deferFinish).
        if (intent?.op !== 'replica-delete' || this.heldSnapshot(replica, intent.disk)) return;
        await this.finishDelete(replica, intent.disk, options);
        this.ctx.log.info({ replica }, 'an unfinished replica delete finished by the engine monitor');
      }),
    );
  }

  /** A copy reading one of the replica's snapshots now, if any. */
  private heldSnapshot(name: string, disk: string) {
    for (const snapshot of this.chainOf(name)) {
      const held = this.ctx.copyHolds.of(disk, snapshot.name);
      if (held) return held;
    }
    return undefined;
  }

  /** The rest of a delete once `ended`, under the replica's lock (deferred again while a copy still reads a snapshot). */
  private deferFinish(name: string, disk: string, ended: Promise<void>): void {
    void ended
      .then(() =>
        this.ctx.locks.with(`replica:${name}`, async () => {
          if (this.ctx.state.intentOf(name)?.op !== 'replica-delete') return;
          const again = this.heldSnapshot(name, disk);
          if (again) return this.deferFinish(name, disk, again.ended);
          await this.finishDelete(name, disk);
          this.ctx.log.info({ replica: name }, 'snapshots of a deleted replica removed after the copy reading one ended');
        }),
      )
      .catch((error: unknown) => this.ctx.log.error({ replica: name, err: (error as Error).message }, 'the rest of a replica delete failed; the next start finishes it'));
  }

  /**
   * Recovery's finish of a recorded delete: now, or once the copy reading one of its snapshots
   * ends (a copy the previous process left running in spdk_tgt, held by backup/left-copies.ts).
   */
  async finishDeleteWhenFree(name: string, disk: string | undefined, options?: CallOptions): Promise<'finished' | 'deferred'> {
    const held = disk !== undefined ? this.heldSnapshot(name, disk) : undefined;
    if (held && disk !== undefined) {
      this.ctx.log.info({ replica: name, reader: held.holder }, 'a recorded replica delete waits for the copy reading one of its snapshots');
      this.deferFinish(name, disk, held.ended);
      return 'deferred';
    }
    await this.finishDelete(name, disk, options);
    return 'finished';
  }

  /** The rest of a delete: also what recovery runs for a delete that died midway. */
  async finishDelete(name: string, disk: string | undefined, options?: CallOptions): Promise<void> {
    await this.exports.unexpose(name, options);
    if (disk !== undefined) {
      const parent = this.ctx.inventory.lvol(disk, headLvolName(name))?.parent;
      await deleteQuietly(this.ctx, () => this.ctx.spdk.lvol.delete({ name: alias(disk, headLvolName(name)) }, options));
      this.ctx.inventory.dropLvol(disk, headLvolName(name));
      // Newest first: each snapshot then has no clone left and goes without a merge.
      for (const snapshot of this.chainOf(name).reverse()) {
        await deleteQuietly(this.ctx, () => this.ctx.spdk.lvol.delete({ name: alias(disk, snapshot.name) }, options));
        this.ctx.inventory.dropLvol(disk, snapshot.name);
      }
      // A linked clone's parent is another replica's snapshot (clones.ts): it has one clone less.
      if (parent && this.ctx.inventory.lvol(disk, parent)) await this.ctx.inventory.reread(this.ctx, disk, [parent], options);
    }
    await this.ctx.state.dropReplica(name);
  }

  info(head: LvolRecord): ReplicaInfo {
    const name = head.role?.role === 'head' ? head.role.replica : head.name;
    const record = this.ctx.inventory.exports.get(name);
    const disk = this.ctx.inventory.disks.get(head.disk);
    const parent = head.parent ? this.ctx.inventory.lvol(head.disk, head.parent) : undefined;
    const exported: ExportInfo | undefined = record
      ? {
          nqn: record.nqn,
          address: record.listeners[0]?.address ?? '',
          port: record.listeners[0]?.port ?? 0,
          hostNqns: [...record.hosts],
          namespaceUuid: record.namespace?.uuid ?? '',
          namespaceNguid: record.namespace?.nguid ?? '',
          ...this.exports.authOf(record),
        }
      : undefined;
    return {
      name,
      diskName: head.disk,
      sizeBytes: head.sizeBytes,
      lvolUuid: head.uuid,
      lvolAlias: alias(head.disk, head.name),
      allocatedBytes: head.allocatedClusters * (disk?.clusterSize ?? 0),
      export: exported,
      headParent: parent?.role?.role === 'snapshot' ? parent.role.snapshot : undefined,
      snapshotCount: this.ctx.inventory.snapshotCountTagged(ownerTag(name)),
    };
  }

  head(name: string): LvolRecord {
    const head = this.ctx.inventory.head(checkName('replica', name));
    if (!head) throw new ConductorError('REPLICA_NOT_FOUND', `replica ${name} does not exist on this node`);
    return head;
  }

  /** The replica's snapshot lvols, found by the owner tag in their names. */
  snapshotsOf(name: string): LvolRecord[] {
    return this.ctx.inventory.snapshotsTagged(ownerTag(name));
  }

  /**
   * The replica's snapshots ordered by their depth in its chain, oldest first (siblings by name):
   * every snapshot comes after the snapshot it was cloned from.
   */
  chainOf(name: string): LvolRecord[] {
    const mine = this.snapshotsOf(name);
    const byName = new Map(mine.map((s) => [s.name, s]));
    const depth = new Map<string, number>();
    const depthOf = (s: LvolRecord): number => {
      let d = depth.get(s.name);
      if (d === undefined) {
        const parent = s.parent === undefined ? undefined : byName.get(s.parent);
        d = parent ? depthOf(parent) + 1 : 0;
        depth.set(s.name, d);
      }
      return d;
    };
    return mine.sort((a, b) => depthOf(a) - depthOf(b) || a.name.localeCompare(b.name));
  }

  private diskOfSnapshots(name: string): string | undefined {
    return this.snapshotsOf(name)[0]?.disk;
  }
}

function checkSize(sizeBytes: number, clusterSize: number, diskBytes: number): void {
  if (sizeBytesProblem(sizeBytes) !== undefined) throw new ConductorError('INVALID_SIZE', `size_bytes must be a positive whole number of bytes, got ${sizeBytes}`, { field: 'size_bytes' });
  const unit = Math.max(clusterSize, MIB);
  if (sizeBytes % unit !== 0)
    throw new ConductorError('INVALID_SIZE', `size_bytes ${sizeBytes} is not a multiple of the disk's cluster size ${unit}; use ${Math.ceil(sizeBytes / unit) * unit}`, { field: 'size_bytes' });
  if (sizeBytes > diskBytes) throw new ConductorError('INVALID_SIZE', `size_bytes ${sizeBytes} is larger than the whole disk (${diskBytes} bytes)`, { field: 'size_bytes' });
}
