/**
 * Disks: a block device or file (aio) or a PCIe NVMe device, carrying one lvstore named for the
 * disk. A disk whose device already holds our lvstore is adopted; one holding any other lvstore is
 * refused and left exactly as it was: it is not ours to reformat.
 */
import { objectChangeChannel } from '../../diagnostics.js';
import { ConductorError, SpdkRpcError, type ErrorCode } from '../../errors.js';
import { FILE_DEFAULT_BLOCK_SIZE, pathKind } from '../../host/devices.js';
import { probeDisk, resolveDiskPath, wipeDiskLabels } from '../../host/disk-probe.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { DiskRecord } from '../node/inventory.js';
import type { DeleteOutcome, DiskCreate, DiskInfo, PageRequest } from '../model.js';
import { pageItems } from '../node/sorted-names.js';
import { checkName, diskBdevName, lvstoreName } from '../node/naming.js';
import { deleteQuietly, existsVerdict, isGone, translate } from '../node/spdk-verdicts.js';
import { absolutePathProblem, pciAddressProblem } from '../../validation/paths.js';
import { isPowerOfTwo } from '../../validation/sizes.js';
import { quoted } from '../../validation/text.js';
import type { ReplicaUsage } from './usage.js';

const MIB = 1024 * 1024;
/** A disk's capacity is read again at most this often while creates and deletes keep changing it (DiskGet, /metrics). */
const REFRESH_SPACING_MS = 250;

export class Disks {
  private readonly refreshing = new Map<string, { again: boolean }>();
  /** When each disk's capacity was last asked of spdk_tgt (performance.now()). */
  private readonly lastRefresh = new Map<string, number>();

  constructor(
    private readonly ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'state' | 'locks' | 'settings' | 'log'>,
    private readonly usage: ReplicaUsage,
  ) {}

  async create(request: DiskCreate, options?: CallOptions): Promise<DiskInfo> {
    const name = checkName('disk', request.name);
    const kind = request.kind ?? 'aio';
    if (typeof request.path !== 'string' || request.path === '') throw invalid('path is required (a device, a file, or a PCIe BDF for nvme)', 'path', 'INVALID_PATH');
    const pathTrouble = kind === 'nvme' ? pciAddressProblem(request.path) : absolutePathProblem(request.path);
    if (pathTrouble) throw invalid(`path ${pathTrouble}`, 'path', 'INVALID_PATH');
    const cluster = request.clusterSizeBytes || this.ctx.settings.defaultClusterSizeBytes;
    if (!isPowerOfTwo(cluster, MIB, Number.MAX_SAFE_INTEGER)) {
      throw invalid(`cluster_size_bytes ${cluster} must be a power of two of at least 1 MiB`, 'cluster_size_bytes', 'INVALID_SIZE');
    }
    if (request.blockSize !== undefined && request.blockSize !== 0 && ![512, 4096].includes(request.blockSize)) {
      throw invalid(`block_size ${request.blockSize} must be 512 or 4096 (or 0 for the device's own)`, 'block_size', 'INVALID_SIZE');
    }
    return this.ctx.locks.with(`disk:${name}`, async () => {
      const existing = this.ctx.inventory.disks.get(name);
      if (existing) {
        if (existing.path !== request.path || existing.kind !== kind) {
          throw new ConductorError('DISK_EXISTS', `disk ${name} exists on ${existing.kind} ${existing.path}, not ${kind} ${request.path}`);
        }
        return this.info(existing, true);
      }
      if (kind === 'aio') await this.checkDevice(name, request, options);
      const bdevName = await this.attach(name, kind, request, options);
      try {
        return await this.ensureLvstore(name, bdevName, cluster, options);
      } catch (error) {
        // All-or-nothing: the device goes back to how it was found.
        await this.detach(name, kind, options).catch((e: unknown) => this.ctx.log.error({ disk: name, err: (e as Error).message }, 'rollback of disk attach failed'));
        throw error;
      }
    });
  }

  get(name: string): DiskInfo {
    const record = this.ctx.inventory.disks.get(checkName('disk', name));
    if (!record) throw new ConductorError('DISK_NOT_FOUND', `disk ${name} does not exist on this node; DiskList shows the disks`);
    return this.info(record, false);
  }

  list(page?: PageRequest): DiskInfo[] {
    const records = this.ctx.inventory.disks.values();
    return (page ? pageItems(records, (d) => d.name, page) : [...records]).map((d) => this.info(d, false));
  }

  /** Refused while a replica on it is a local engine's member, unless `force`. */
  async delete(name: string, wipe: boolean, options?: CallOptions, force = false): Promise<DeleteOutcome> {
    checkName('disk', name);
    return this.ctx.locks.with(`disk:${name}`, async () => {
      const record = this.ctx.inventory.disks.get(name);
      const kind = record?.kind ?? 'aio';
      const lvols = this.ctx.inventory.lvolsOn(name);
      const members = lvols.flatMap((l) => {
        const replica = l.role?.role === 'head' ? l.role.replica : undefined;
        return replica === undefined ? [] : this.usage.localEngines(replica).map((engine) => `${replica} (engine ${engine})`);
      });
      if (members.length > 0) {
        if (!force) throw new ConductorError('DISK_IN_USE', `disk ${name} holds members of local engines: ${members.join(', ')}; remove them from their engines first, or pass force`);
        this.ctx.log.warn({ disk: name, wipe, members }, 'disk delete forced under members of local engines');
      }
      if (record && lvols.length > 0 && !wipe) {
        const replicas = lvols.filter((l) => l.role?.role === 'head').length;
        throw new ConductorError('DISK_IN_USE', `disk ${name} still holds ${replicas} replicas (${lvols.length} lvols); delete them first, or delete the disk with wipe to destroy them`);
      }
      if (record && wipe) {
        const exposed = lvols.flatMap((l) => (l.role?.role === 'head' && this.ctx.inventory.exports.has(l.role.replica) ? [l.role.replica] : []));
        if (exposed.length > 0) throw new ConductorError('DISK_IN_USE', `disk ${name} has exposed replicas (${exposed.join(', ')}); unexpose them before wiping`);
        await deleteQuietly(this.ctx, () => this.ctx.spdk.lvol.deleteLvstore({ lvs_name: record.lvstoreName }, options));
        for (const lvol of lvols) this.ctx.inventory.dropLvol(name, lvol.name);
      }
      await this.detach(name, kind, options);
      this.ctx.inventory.disks.delete(name);
      await this.ctx.state.forgetDisk(name);
      this.ctx.log.info({ disk: name, wipe }, 'disk deleted');
      if (objectChangeChannel.hasSubscribers)
        objectChangeChannel.publish({ kind: 'disk', name, type: 'deleted', state: undefined, reason: wipe ? 'deleted with its replicas (wipe)' : 'deleted', source: 'operation' });
      return record ? 'deleted' : 'already-absent';
    });
  }

  info(record: DiskRecord, adopted: boolean): DiskInfo {
    const lvols = this.ctx.inventory.lvolsOn(record.name);
    const allocatedClusters = record.totalClusters - record.freeClusters;
    return {
      name: record.name,
      kind: record.kind,
      path: record.path,
      bdevName: record.bdevName,
      lvstoreName: record.lvstoreName,
      lvstoreUuid: record.lvstoreUuid,
      clusterSizeBytes: record.clusterSize,
      blockSize: record.blockSize,
      totalBytes: record.totalClusters * record.clusterSize,
      freeBytes: record.freeClusters * record.clusterSize,
      allocatedBytes: allocatedClusters * record.clusterSize,
      replicaCount: lvols.filter((l) => l.role?.role === 'head').length,
      adopted,
    };
  }

  /**
   * Refreshes a disk's capacity figures from spdk_tgt after creates and deletes. Coalesced: a
   * change while a read runs or waits asks for one more read, and a disk is read at most once per
   * REFRESH_SPACING_MS. Without the spacing, creates arriving one after another each read it
   * (42–261 bdev_lvol_get_lvstores per 1,000 creates in bench:replicas, one per round trip to
   * spdk_tgt while a read was always in flight); now a few per second, the last after the last change.
   */
  refreshSoon(name: string): void {
    const state = this.refreshing.get(name);
    if (state) {
      state.again = true;
      return;
    }
    const run = { again: false };
    this.refreshing.set(name, run);
    const loop = async (): Promise<void> => {
      do {
        run.again = false;
        const wait = (this.lastRefresh.get(name) ?? -Infinity) + REFRESH_SPACING_MS - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
        this.lastRefresh.set(name, performance.now());
        const record = this.ctx.inventory.disks.get(name);
        if (!record) break;
        const [lvs] = await this.ctx.spdk.lvol.getLvstores({ lvs_name: record.lvstoreName });
        if (lvs) {
          record.freeClusters = lvs.free_clusters;
          record.totalClusters = lvs.total_data_clusters;
        }
      } while (run.again);
    };
    loop()
      .catch((err: unknown) => this.ctx.log.debug({ disk: name, err: (err as Error).message }, 'disk capacity refresh failed'))
      .finally(() => {
        this.refreshing.delete(name);
        if (!this.ctx.inventory.disks.has(name)) this.lastRefresh.delete(name);
      });
  }

  /**
   * Before anything is touched: the path, symlinks followed, lies under an allowed prefix, and
   * holds nothing but our own lvstore or zeros where labels live; else it is refused and left as
   * it was, unless the request says wipe. An nvme disk is a PCIe device spdk_tgt takes from the
   * kernel: it cannot be read here, and only the lvstore check after attach applies to it.
   */
  private async checkDevice(name: string, request: DiskCreate, options?: CallOptions): Promise<void> {
    const path = quoted(request.path);
    let resolved: string;
    try {
      resolved = await resolveDiskPath(request.path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ConductorError('DISK_UNUSABLE', `path ${path} does not exist on this node; give a block device or a file`);
      throw new ConductorError('DISK_UNUSABLE', `path ${path} cannot be resolved on this node (${code ?? (error as Error).message})`);
    }
    const allowed = await allowedPrefixes(this.ctx.settings.diskAllowedPrefixes);
    if (!allowed.some((prefix) => resolved === prefix.replace(/\/$/, '') || resolved.startsWith(prefix))) {
      throw new ConductorError(
        'DISK_PATH_NOT_ALLOWED',
        `path ${path}${resolved === request.path ? '' : ` (resolved to ${quoted(resolved, 256)})`} is not under an allowed prefix (${this.ctx.settings.diskAllowedPrefixes.join(', ')}); see disk.allowedPrefixes`,
        { field: 'path' },
      );
    }
    const found = await pathKind(resolved);
    if (found === 'directory') throw new ConductorError('DISK_UNUSABLE', `path ${path} is a directory; give a block device or a file`);
    // Another disk's lvstore is foreign to this one: wipe must never reach a device spdk_tgt has open.
    const holder = await this.aioBdevOn(resolved, options);
    if (holder && holder !== diskBdevName(name)) {
      const disk = [...this.ctx.inventory.disks.values()].find((d) => d.bdevName === holder);
      throw new ConductorError('DISK_IN_USE', `path ${path} is open in spdk_tgt as bdev ${holder}${disk ? ` (disk ${disk.name})` : ''}; delete that first`);
    }
    let content: Awaited<ReturnType<typeof probeDisk>>;
    try {
      content = await probeDisk(resolved);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EBUSY') throw new ConductorError('DISK_UNUSABLE', `device ${path} is in use by the kernel (mounted, or held by another driver); refusing to touch it`);
      throw new ConductorError('DISK_UNUSABLE', `path ${path} cannot be read to check what it holds (${code ?? (error as Error).message})`);
    }
    if (content.kind === 'empty') return;
    const wanted = lvstoreName(name);
    if (content.kind === 'lvstore' && content.name === wanted) return;
    const what =
      content.kind === 'lvstore'
        ? `an lvstore ${content.name === undefined ? 'whose name cannot be read' : `named ${quoted(content.name)}`}, which this service did not make for disk ${name}`
        : content.what;
    if (!request.wipe) throw new ConductorError('DISK_NOT_EMPTY', `path ${path} holds ${what}; refusing to touch it (create with wipe to destroy it)`, { field: 'path' });
    await wipeDiskLabels(resolved);
    this.ctx.log.warn({ disk: name, path: resolved, found: what }, 'disk create with wipe: the first and last MiB were zeroed');
  }

  /** The aio bdev in spdk_tgt whose file is `resolved`, if any. */
  private async aioBdevOn(resolved: string, options?: CallOptions): Promise<string | undefined> {
    for (const bdev of await this.ctx.spdk.bdev.getBdevs(undefined, options)) {
      const filename = (bdev.driver_specific?.aio as { filename?: string } | undefined)?.filename;
      if (filename !== undefined && (await resolveDiskPath(filename).catch(() => filename)) === resolved) return bdev.name;
    }
    return undefined;
  }

  private async attach(name: string, kind: 'aio' | 'nvme', request: DiskCreate, options?: CallOptions): Promise<string> {
    const bdevName = diskBdevName(name);
    try {
      if (kind === 'aio') {
        const found = await pathKind(request.path);
        if (found === 'missing' || found === 'directory') {
          throw new ConductorError('DISK_UNUSABLE', `path ${request.path} ${found === 'missing' ? 'does not exist' : 'is a directory'} on this node; give a block device or a file`);
        }
        const blockSize = request.blockSize || (found === 'file' ? FILE_DEFAULT_BLOCK_SIZE : undefined);
        await this.ctx.spdk.bdev.aioCreate({ name: bdevName, filename: request.path, ...(blockSize ? { block_size: blockSize } : {}) }, options);
        return bdevName;
      }
      const bdevs = await this.ctx.spdk.nvme.attachController({ name: bdevName, trtype: 'PCIe', traddr: request.path }, options);
      return bdevs[0] ?? `${bdevName}n1`;
    } catch (error) {
      if (existsVerdict(this.ctx, error)) {
        // Left by a create that died before it finished: it is ours if it is on the same device.
        const [bdev] = await this.ctx.spdk.bdev.getBdevs({ name: kind === 'aio' ? bdevName : `${bdevName}n1` }, options);
        const filename = (bdev?.driver_specific?.aio as { filename?: string } | undefined)?.filename;
        if (bdev && (kind === 'nvme' || filename === request.path)) return bdev.name;
        throw new ConductorError('DISK_EXISTS', `bdev ${bdevName} exists in spdk_tgt on another device (${filename ?? 'unknown'}); delete disk ${name} first`);
      }
      if (error instanceof SpdkRpcError) {
        if (/No such file|No such device/.test(error.rpcMessage)) {
          throw new ConductorError('DISK_UNUSABLE', `${kind === 'aio' ? 'path' : 'PCIe device'} ${request.path} cannot be opened by spdk_tgt (${error.rpcMessage}); check it exists on this node`);
        }
        if (error.is('EINVAL')) throw invalid(`spdk_tgt refused ${request.path} (${error.rpcMessage}); check the block size`, 'path', 'INVALID_SIZE');
      }
      throw translate(error, `disk ${name}`);
    }
  }

  private async ensureLvstore(name: string, bdevName: string, cluster: number, options?: CallOptions): Promise<DiskInfo> {
    const wanted = lvstoreName(name);
    // Examine loads an lvstore the device already carries; only then can we tell ours from others.
    await this.ctx.spdk.bdev.waitForExamine(options);
    const found = (await this.ctx.spdk.lvol.getLvstores(undefined, options)).find((l) => l.base_bdev === bdevName);
    let adopted = false;
    if (found) {
      if (found.name !== wanted) {
        throw new ConductorError('DISK_UNUSABLE', `the device of disk ${name} carries lvstore "${found.name}", which this service did not make; refusing to touch it`);
      }
      adopted = true;
    } else {
      try {
        await this.ctx.spdk.lvol.createLvstore({ bdev_name: bdevName, lvs_name: wanted, cluster_sz: cluster, clear_method: 'none' }, options);
      } catch (error) {
        if (existsVerdict(this.ctx, error)) throw new ConductorError('DISK_UNUSABLE', `cannot make lvstore ${wanted} on ${bdevName}: ${(error as Error).message}`);
        throw translate(error, `disk ${name}`);
      }
    }
    await this.ctx.inventory.load(this.ctx.spdk, options);
    const record = this.ctx.inventory.disks.get(name);
    if (!record) throw new ConductorError('SPDK_INCONSISTENT', `lvstore ${wanted} was made but spdk_tgt does not list it`);
    await this.ctx.state.recordDisk(record).catch((error: unknown) => {
      // The caller detaches the device: the disk must not stay listed either.
      this.ctx.inventory.disks.delete(name);
      throw error;
    });
    this.ctx.log.info({ disk: name, bdev: bdevName, adopted, clusterSize: record.clusterSize }, adopted ? 'disk attached; existing lvstore adopted' : 'disk attached; lvstore created');
    if (objectChangeChannel.hasSubscribers)
      objectChangeChannel.publish({ kind: 'disk', name, type: 'added', state: undefined, reason: adopted ? 'attached; existing lvstore adopted' : 'attached; lvstore created', source: 'operation' });
    return this.info(record, adopted);
  }

  private async detach(name: string, kind: 'aio' | 'nvme', options?: CallOptions): Promise<void> {
    const bdevName = diskBdevName(name);
    try {
      if (kind === 'aio') await this.ctx.spdk.bdev.aioDelete({ name: bdevName }, options);
      else await this.ctx.spdk.nvme.detachController({ name: bdevName }, options);
    } catch (error) {
      if (!isGone(this.ctx, error)) throw error;
    }
  }
}

/** The prefixes with symlinks resolved, each ending in "/"; one that does not exist is kept as written. */
async function allowedPrefixes(prefixes: readonly string[]): Promise<string[]> {
  return Promise.all(
    prefixes.map(async (prefix) => {
      const real = await resolveDiskPath(prefix).catch(() => prefix);
      return real.endsWith('/') ? real : `${real}/`;
    }),
  );
}

function invalid(message: string, field: string, code: ErrorCode): ConductorError {
  return new ConductorError(code, message, { field });
}
