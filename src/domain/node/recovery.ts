/**
 * Start-up recovery: rebuild the view of this node from spdk_tgt, finish the multi-step operations
 * the state file says were in flight, and remove what a create left half made. spdk_tgt is the
 * source of truth; the state file only adds what spdk_tgt cannot hold.
 */
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from './context.js';
import { alias, diskBdevName, ownerTag } from './naming.js';
import type { Replicas } from '../replica/replicas.js';
import type { Snapshots } from '../replica/snapshots.js';
import { deleteQuietly } from './spdk-verdicts.js';

export interface RecoveryReport {
  disks: number;
  replicas: number;
  exports: number;
  intentsFinished: string[];
  halfMadeExportsRemoved: string[];
  halfMadeDisksDetached: string[];
  strayClonesRemoved: string[];
  metadataDropped: string[];
  /** Disks and exports spdk_tgt has that the state file did not record yet (a file of version 1). */
  recordsAdopted: string[];
  orphans: string[];
}

export async function recover(ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'state' | 'ports'>, replicas: Replicas, snapshots: Snapshots, options?: CallOptions): Promise<RecoveryReport> {
  const transports = await ctx.spdk.nvmf.getTransports(undefined, options);
  if (!transports.some((t) => t.trtype.toUpperCase() === 'TCP')) await ctx.spdk.nvmf.createTransport({ trtype: 'TCP' }, options);

  // Examine must finish first: until then a disk's own lvstore is not listed yet.
  await ctx.spdk.bdev.waitForExamine(options);
  await ctx.inventory.load(ctx.spdk, options);
  const report: RecoveryReport = {
    disks: 0,
    replicas: 0,
    exports: 0,
    intentsFinished: [],
    halfMadeExportsRemoved: [],
    halfMadeDisksDetached: [],
    strayClonesRemoved: [],
    metadataDropped: [],
    recordsAdopted: [],
    orphans: [],
  };

  for (const intent of ctx.state.intents()) {
    // A snapshot a copy still reads (one the previous process left running: backup/left-copies.ts,
    // adopted before this runs) is not deleted under it: the rest waits for the copy's end.
    if (intent.op === 'replica-delete') await replicas.finishDeleteWhenFree(intent.replica, intent.disk, options);
    else if (intent.op === 'snapshot-revert') await snapshots.finishRevert(intent.replica, intent.disk, options);
    else await ctx.state.clearIntent(intent.replica);
    report.intentsFinished.push(`${intent.op} ${intent.replica}`);
  }

  // Snapshots deleted while a copy read them (Snapshots.delete): no copy of this process runs
  // now, but one the previous process started may still (its snapshot is held then, see
  // backup/left-copies.ts): Snapshots.delete takes the delete again and does it once that ends.
  for (const [replica, snapshot, meta] of ctx.state.allSnapshotMeta()) {
    if (!meta.deletePending) continue;
    await snapshots.delete(replica, snapshot, options).catch(() => undefined);
    report.intentsFinished.push(`snapshot-delete ${replica}/${snapshot}`);
  }

  for (const record of [...ctx.inventory.exports.values()]) {
    const complete = record.namespace !== undefined && record.listeners.length > 0 && ctx.inventory.head(record.replica) !== undefined;
    if (complete) {
      for (const listener of record.listeners) ctx.ports.markUsed(listener.port);
      continue;
    }
    await deleteQuietly(ctx, () => ctx.spdk.nvmf.deleteSubsystem({ nqn: record.nqn }, options));
    ctx.inventory.exports.delete(record.replica);
    report.halfMadeExportsRemoved.push(record.nqn);
  }

  // A disk bdev of ours without our lvstore is a disk create that died before its lvstore was
  // made, or before its rollback detached a device carrying someone else's: detach it (its data
  // stays on the device, as a rollback would have left it).
  for (const stray of ctx.inventory.strayDiskBdevs) {
    if (stray.kind === 'aio') await deleteQuietly(ctx, () => ctx.spdk.bdev.aioDelete({ name: stray.bdev }, options));
    else await deleteQuietly(ctx, () => ctx.spdk.nvme.detachController({ name: diskBdevName(stray.disk) }, options));
    report.halfMadeDisksDetached.push(stray.bdev);
  }
  ctx.inventory.strayDiskBdevs = [];
  report.recordsAdopted = await ctx.state.adopt(ctx.inventory.disks.values(), ctx.inventory.exports.values());

  // A revert clone with no intent: its revert gave up after the clone call lost its answer (the
  // clone may still have been made). Nothing refers to it.
  for (const lvol of [...ctx.inventory.lvols.values()]) {
    if (lvol.role?.role !== 'revert' || ctx.state.intentOf(lvol.role.replica)) continue;
    await deleteQuietly(ctx, () => ctx.spdk.lvol.delete({ name: alias(lvol.disk, lvol.name) }, options));
    ctx.inventory.dropLvol(lvol.disk, lvol.name);
    report.strayClonesRemoved.push(alias(lvol.disk, lvol.name));
  }

  // Metadata is written before its snapshot is made: metadata with no snapshot beside its replica's
  // head is a create that died. A replica whose head is not listed (its disk not attached yet, or
  // spdk_tgt restarted empty) keeps its metadata: only an explicit delete removes that.
  const heads = ctx.inventory.heads();
  const snapshotKeys = new Set<string>();
  for (const lvol of ctx.inventory.lvols.values()) if (lvol.role?.role === 'snapshot') snapshotKeys.add(`${lvol.role.ownerTag}/${lvol.role.snapshot}`);
  const dropped = new Map<string, string[]>();
  for (const [replica, snapshot] of ctx.state.allSnapshotMeta()) {
    if (heads.has(replica) && !snapshotKeys.has(`${ownerTag(replica)}/${snapshot}`)) dropped.set(replica, [...(dropped.get(replica) ?? []), snapshot]);
  }
  for (const [replica, names] of dropped) {
    await ctx.state.dropSnapshotMeta(replica, names);
    report.metadataDropped.push(...names.map((n) => `${replica}/${n}`));
  }

  // Snapshots whose replica has no head are kept (they may be a rebuild in progress or data a
  // person wants), but reported.
  const tags = new Set([...heads.keys()].map(ownerTag));
  for (const lvol of ctx.inventory.lvols.values()) {
    if (lvol.role?.role === 'snapshot' && !tags.has(lvol.role.ownerTag)) report.orphans.push(alias(lvol.disk, lvol.name));
  }
  ctx.inventory.orphans = report.orphans;

  report.disks = ctx.inventory.disks.size;
  report.replicas = heads.size;
  report.exports = ctx.inventory.exports.size;
  return report;
}
