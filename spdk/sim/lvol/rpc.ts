/**
 * The bdev_lvol_* methods. Error codes follow spdk's two paths, as transcripts 07, 08 and 16 show:
 * a failure found before the blobstore operation starts is answered `-errno` (e.g. -19 for a
 * missing lvol, -17 for an existing lvol name), one the blobstore reports back is answered
 * -32602 with the same strerror text (e.g. "File exists" for a snapshot name), except delete,
 * whose callback answers -32603.
 */
import { SimIoError, SimRpcError, type SimTarget } from '../core/contract.js';
import { exactInteger, tableDecoder } from '../core/decode.js';
import { errno, strerror } from '../core/errno.js';
import { INTERNAL_ERROR, INVALID_PARAMS } from '../core/rpc-request.js';
import type { CoreTarget } from '../core/target.js';
import type { Blob } from './blob.js';
import * as chain from './chain.js';
import type { LvolModule } from './index.js';
import { MD_PAGE } from './layout.js';
import type { LvolBdev } from './lvol-bdev.js';
import { LvStore } from './lvstore.js';
import { LVOL_VALIDATION, type LvolMethod } from './validation.js';

/** Clusters an inflate or decouple copies at once. */
const COPIES_IN_FLIGHT = 4;

const MIB = 1024 * 1024;
/** SPDK_LVOL_NAME_MAX / SPDK_LVS_NAME_MAX include the NUL. */
const NAME_MAX = 64;
const DEFAULT_CLUSTER = 4 * MIB;
const CLEAR_METHODS = ['none', 'unmap', 'write_zeroes'];

function sync(code: number): never {
  throw new SimRpcError(-code, strerror(code));
}

function async(code: number, rpcCode = INVALID_PARAMS): never {
  throw new SimRpcError(rpcCode, strerror(code));
}

function invalid(message: string): never {
  throw new SimRpcError(INVALID_PARAMS, message);
}

/** Runs a graph operation; its ChainError becomes the blobstore-callback answer. */
function run<T>(op: () => T, rpcCode = INVALID_PARAMS): T {
  try {
    return op();
  } catch (err) {
    if (err instanceof chain.ChainError) async(err.errno, rpcCode);
    throw err;
  }
}

/** A failed read or write under a blobstore operation reaches its callback: -32602 and its strerror. */
function ioFailureAsCallback(result: unknown): unknown {
  if (!(result instanceof Promise)) return result;
  return result.catch((err: unknown) => {
    if (err instanceof SimIoError) async(-err.errno);
    throw err;
  });
}

/** The handlers' `size_in_mib * 1024 * 1024` in u64, wrapping as C does: 2^44 MiB is 0 bytes. */
function sizeInBytes(p: Record<string, unknown>): number {
  return Number(BigInt.asUintN(64, exactInteger(p, 'size_in_mib', 'uint64')! * BigInt(MIB)));
}

export function registerLvolRpcs(target: CoreTarget, m: LvolModule): void {
  const t: SimTarget = target;
  const reg = (method: LvolMethod, handler: (p: Record<string, unknown>) => unknown) =>
    t.register(method, {
      decode: tableDecoder(LVOL_VALIDATION, method),
      handler: (params) => ioFailureAsCallback(handler((params ?? {}) as Record<string, unknown>)),
    });

  const lvol = (name: string): LvolBdev => m.findLvol(name) ?? sync(errno.ENODEV);

  /** Exactly one of uuid / name designates an lvstore (vbdev_get_lvol_store_by_uuid_xor_name). */
  const lvstore = (uuid: unknown, name: unknown): LvStore => {
    if ((uuid === undefined) === (name === undefined)) sync(errno.EINVAL);
    return m.lvstores.find((l) => (uuid !== undefined ? l.uuid === uuid : l.name === name)) ?? sync(errno.ENODEV);
  };

  const persist = async (lvs: LvStore, blobs: Blob[], zero: number[] = []) => {
    for (const c of zero) await lvs.zeroCluster(c);
    await Promise.all(blobs.map((b) => lvs.persistBlob(b)));
  };

  reg('bdev_lvol_create_lvstore', async (p) => {
    const base = target.bdevs.get(p['bdev_name'] as string) ?? sync(errno.ENODEV);
    const name = p['lvs_name'] as string;
    // vbdev_lvs_create_ext: 0 (or none) is spdk_lvs_opts_init's default.
    const cs = (p['cluster_sz'] as number | undefined) || DEFAULT_CLUSTER;
    if (base.claim !== null) sync(errno.EPERM);
    if (cs < MD_PAGE || cs % MD_PAGE !== 0) sync(errno.EINVAL);
    if (m.lvstores.some((l) => l.name === name)) sync(errno.EEXIST);
    if (Math.floor((base.numBlocks * base.blockSize) / cs) < 2) async(errno.ENOSPC);
    const claim = { module: 'lvol', holder: name, claimType: 'read_many_write_one' };
    target.bdevs.claim(base.name, claim);
    try {
      const lvs = await LvStore.create(base, name, cs, m.esnapOf);
      m.lvstores.push(lvs);
      return lvs.uuid;
    } catch (err) {
      target.bdevs.release(base.name, name);
      throw err;
    }
  });

  reg('bdev_lvol_delete_lvstore', async (p) => {
    const lvs = lvstore(p['uuid'], p['lvs_name']);
    m.closeLvstore(lvs);
    await lvs.destroy();
    return true;
  });

  reg('bdev_lvol_rename_lvstore', async (p) => {
    const lvs = m.lvstores.find((l) => l.name === p['old_name']) ?? sync(errno.ENODEV);
    const name = p['new_name'] as string;
    if (name === lvs.name) return true;
    if (m.lvstores.some((l) => l.name === name)) async(errno.EEXIST);
    lvs.sb.name = name;
    for (const blob of lvs.blobs.values()) {
      const bdev = m.bdevOf.get(blob);
      if (!bdev) continue;
      const old = bdev.aliases;
      bdev.aliases = [`${name}/${blob.name}`];
      target.bdevs.reindex(bdev, old);
    }
    await lvs.persistSuper();
    return true;
  });

  reg('bdev_lvol_grow_lvstore', async (p) => {
    const lvs = lvstore(p['uuid'], p['lvs_name']);
    await lvs.flushed();
    return true;
  });

  reg('bdev_lvol_get_lvstores', (p) => {
    const list = p['uuid'] === undefined && p['lvs_name'] === undefined ? m.lvstores : [lvstore(p['uuid'], p['lvs_name'])];
    return list.map((l) => ({
      uuid: l.uuid,
      name: l.name,
      base_bdev: l.base.name,
      total_data_clusters: l.totalDataClusters,
      free_clusters: l.freeClusters,
      block_size: l.sb.ioUnit,
      cluster_size: l.clusterSize,
      max_growable_size: l.maxGrowableSize,
    }));
  });

  reg('bdev_lvol_get_lvols', (p) => {
    const list = p['lvs_uuid'] === undefined && p['lvs_name'] === undefined ? m.lvstores : [lvstore(p['lvs_uuid'], p['lvs_name'])];
    return list.flatMap((l) =>
      [...l.blobs.values()].map((b) => ({
        alias: `${l.name}/${b.name}`,
        uuid: b.uuid,
        name: b.name,
        is_thin_provisioned: b.thin,
        is_snapshot: b.snapshotEntry,
        is_clone: b.parent.kind === 'blob',
        is_esnap_clone: b.parent.kind === 'esnap',
        is_degraded: b.parent.kind === 'esnap' && m.esnapMissing(b.parent.bdevUuid),
        num_allocated_clusters: b.allocated,
        lvs: { name: l.name, uuid: l.uuid },
      })),
    );
  });

  reg('bdev_lvol_create', async (p) => {
    const lvs = lvstore(p['uuid'], p['lvs_name']);
    const clearMethod = p['clear_method'] as string | undefined;
    if (clearMethod !== undefined && !CLEAR_METHODS.includes(clearMethod.toLowerCase())) {
      throw new SimRpcError(-errno.EINVAL, 'Invalid clean_method option');
    }
    const name = p['lvol_name'] as string;
    if (name.length === 0 || name.length >= NAME_MAX) sync(errno.EINVAL);
    if (lvs.findByName(name)) sync(errno.EEXIST);
    const { blob, zero } = run(() => chain.createBlob(lvs, name, sizeInBytes(p), (p['thin_provision'] as boolean | undefined) ?? false));
    await persist(lvs, [blob], zero);
    m.expose(lvs, blob);
    return blob.uuid;
  });

  reg('bdev_lvol_snapshot', async (p) => {
    const origin = lvol(p['lvol_name'] as string);
    const snap = run(() => chain.snapshot(origin.lvs, origin.blob, p['snapshot_name'] as string));
    await persist(origin.lvs, [snap, origin.blob, ...(snap.parentBlob ? [snap.parentBlob] : [])]);
    m.expose(origin.lvs, snap);
    return snap.uuid;
  });

  reg('bdev_lvol_clone', async (p) => {
    const source = lvol(p['snapshot_name'] as string);
    const c = run(() => chain.clone(source.lvs, source.blob, p['clone_name'] as string));
    await persist(source.lvs, [c, source.blob]);
    m.expose(source.lvs, c);
    return c.uuid;
  });

  reg('bdev_lvol_clone_bdev', async (p) => {
    // rpc_bdev_lvol_clone_bdev's own checks, lvstore first, each -32602 with its text (transcript 20).
    const lvs = m.lvstores.find((l) => l.name === p['lvs_name']) ?? invalid('lvs does not exist');
    const esnap = target.bdevs.get(p['bdev'] as string) ?? invalid('bdev does not exist');
    if (m.findLvol(esnap.name)?.lvs === lvs) invalid('bdev is an lvol in same lvs as clone; use bdev_lvol_clone instead');
    const c = run(() => chain.esnapClone(lvs, esnap.uuid, esnap.numBlocks * esnap.blockSize, p['clone_name'] as string));
    m.useEsnap(esnap.uuid);
    await persist(lvs, [c]);
    m.expose(lvs, c);
    return c.uuid;
  });

  reg('bdev_lvol_delete', async (p) => {
    const bdev = lvol(p['name'] as string);
    const { lvs, blob } = bdev;
    if (blob.clones.length <= 1 && m.copies.copying(blob)) {
      // Real v26.05 (test/real/backup-snapshot-busy.test.ts): vbdev_lvol unregisters the bdev
      // first, then spdk_bs_delete_blob refuses the blob a shallow copy holds open and locked
      // (bs_is_blob_deletable, "Cannot remove snapshot because it is open"), and lvol.c drops the
      // lvol anyway ("forced removal"): -32603 EBUSY, the bdev and the lvol gone, the blob and its
      // clusters kept (the copy runs to its end), and the lvol back after the lvstore's next load.
      m.hide(blob);
      lvs.forgetLvolOnly(blob);
      async(errno.EBUSY, INTERNAL_ERROR);
    }
    const changed = run(() => chain.remove(lvs, blob), INTERNAL_ERROR);
    if (blob.parent.kind === 'esnap' && changed.length === 0) m.releaseEsnap(blob.parent.bdevUuid);
    m.hide(blob);
    await Promise.all([lvs.forgetBlob(blob), persist(lvs, changed)]);
    return true;
  });

  reg('bdev_lvol_resize', async (p) => {
    const bdev = lvol(p['name'] as string);
    const before = bdev.numBlocks;
    const zero = run(() => chain.resize(bdev.lvs, bdev.blob, sizeInBytes(p), bdev.claim !== null));
    await persist(bdev.lvs, [bdev.blob], zero);
    // vbdev_lvol_resize notifies the bdev layer: its claimer (a raid, an export) sees the new size.
    if (bdev.numBlocks !== before) target.bdevs.resized?.(bdev);
    return true;
  });

  reg('bdev_lvol_rename', async (p) => {
    const bdev = lvol(p['old_name'] as string);
    const name = p['new_name'] as string;
    if (bdev.blob.readOnly) async(errno.EPERM);
    if (name === bdev.blob.name) return true;
    const taken = bdev.lvs.findByName(name);
    if (taken || target.bdevs.get(`${bdev.lvs.name}/${name}`)) async(errno.EEXIST);
    const old = bdev.aliases;
    bdev.lvs.rename(bdev.blob, name);
    bdev.aliases = [`${bdev.lvs.name}/${name}`];
    target.bdevs.reindex(bdev, old);
    await persist(bdev.lvs, [bdev.blob]);
    return true;
  });

  reg('bdev_lvol_set_read_only', async (p) => {
    const bdev = lvol(p['name'] as string);
    bdev.blob.readOnly = true;
    await persist(bdev.lvs, [bdev.blob]);
    return true;
  });

  const copyInto = async (bdev: LvolBdev, mode: 'inflate' | 'decouple') => {
    const { lvs, blob } = bdev;
    const pairs = run(() => chain.planCopy(lvs, blob, mode));
    const oldParent = blob.parent;
    // A few clusters at once, as the disk's queue would take them: one at a time, the simulator's
    // own per-cluster work made the copy slower than the disk spdk_tgt writes at.
    let next = 0;
    let failed = false;
    const copier = async (): Promise<void> => {
      while (next < pairs.length && !failed) {
        const [index, c] = pairs[next++]!;
        await lvs.materialize(blob, index, c).catch((err: unknown) => {
          failed = true;
          throw err;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(COPIES_IN_FLIGHT, pairs.length) }, copier));
    const grand = blob.parentBlob;
    chain.finishCopy(blob, pairs, mode);
    if (oldParent.kind === 'esnap' && blob.parent.kind !== 'esnap') m.releaseEsnap(oldParent.bdevUuid);
    await persist(lvs, [blob, ...(grand ? [grand] : []), ...(blob.parentBlob ? [blob.parentBlob] : [])]);
    return true;
  };

  reg('bdev_lvol_inflate', (p) => copyInto(lvol(p['name'] as string), 'inflate'));
  reg('bdev_lvol_decouple_parent', (p) => copyInto(lvol(p['name'] as string), 'decouple'));

  reg('bdev_lvol_set_parent', async (p) => {
    const bdev = lvol(p['lvol_name'] as string);
    const parent = m.findLvol(p['parent_name'] as string) ?? async(errno.ENODEV);
    if (parent.lvs !== bdev.lvs) async(errno.EINVAL);
    const old = bdev.blob.parent;
    const oldBlob = bdev.blob.parentBlob;
    run(() => chain.setParent(bdev.blob, parent.blob));
    if (old.kind === 'esnap') m.releaseEsnap(old.bdevUuid);
    await persist(bdev.lvs, [bdev.blob, parent.blob, ...(oldBlob ? [oldBlob] : [])]);
    return true;
  });

  reg('bdev_lvol_set_parent_bdev', async (p) => {
    const bdev = lvol(p['lvol_name'] as string);
    const esnap = target.bdevs.get(p['parent_name'] as string) ?? async(errno.ENODEV);
    if (esnap.claim !== null || target.bdevs.heldByExamine(esnap)) async(errno.EINVAL);
    const old = bdev.blob.parent;
    const oldBlob = bdev.blob.parentBlob;
    run(() => chain.setParentBdev(bdev.lvs, bdev.blob, esnap.uuid, esnap.numBlocks * esnap.blockSize));
    if (old.kind === 'esnap') m.releaseEsnap(old.bdevUuid);
    m.useEsnap(esnap.uuid);
    await persist(bdev.lvs, [bdev.blob, ...(oldBlob ? [oldBlob] : [])]);
    return true;
  });

  reg('bdev_lvol_start_shallow_copy', (p) => {
    const src = lvol(p['src_lvol_name'] as string);
    const id = m.copies.nextId();
    const dst = target.bdevs.get(p['dst_bdev_name'] as string) ?? async(errno.ENODEV);
    m.copies.start(id, src.lvs, src.blob, dst);
    return { operation_id: id };
  });

  reg('bdev_lvol_check_shallow_copy', (p) => m.copies.check(p['operation_id'] as number));
}
