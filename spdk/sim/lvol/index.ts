/**
 * The lvol module: lvstores on any bdev of the registry (examined when a bdev appears, closed
 * when it goes), the lvol bdevs they export, esnap parents, and the bdev_lvol_* methods.
 */
import type { SimBdev, SimModule } from '../core/contract.js';
import { objectDecoder } from '../core/decode.js';
import type { CoreTarget } from '../core/target.js';
import type { Blob } from './blob.js';
import { LvolBdev } from './lvol-bdev.js';
import { LvStore } from './lvstore.js';
import { registerLvolRpcs } from './rpc.js';
import { ShallowCopies } from './shallow-copy.js';

export class LvolModule implements SimModule {
  readonly name = 'lvol';
  /** In creation (or load) order, as bdev_lvol_get_lvstores lists them. */
  readonly lvstores: LvStore[] = [];
  readonly bdevOf = new Map<Blob, LvolBdev>();
  readonly copies: ShallowCopies;
  /** Lvols using each external snapshot bdev (by uuid): the bdev stays claimed while any does. */
  private readonly esnapUsers = new Map<string, number>();
  /**
   * Esnap parents deleted while clones still used them: gone from the bdev lists, but the clones
   * keep them open, so they are not degraded (transcript 20) until the last clone lets go.
   */
  private readonly lingering = new Set<string>();
  private readonly off: Array<() => void> = [];

  constructor(readonly target: CoreTarget) {
    this.copies = new ShallowCopies(target);
  }

  install(): void {
    this.off.push(this.target.bdevs.onAdd((bdev) => this.examine(bdev)));
    this.off.push(this.target.bdevs.onRemove((bdev) => this.hotRemove(bdev)));
    this.off.push(this.target.every(() => this.copies.poll()));
    registerLvolRpcs(this.target, this);
    // Never in spdk_tgt: tests slow or pause copies to watch what happens while one runs.
    this.target.register('sim_shallow_copy_rate', {
      decode: objectDecoder([
        { name: 'bytes_per_ms', type: 'uint32', required: true },
        { name: 'pause_after', type: 'uint32' },
      ]),
      handler: (params) => {
        const p = params as { bytes_per_ms: number; pause_after?: number };
        this.copies.setRate(p.bytes_per_ms, p.pause_after);
        return true;
      },
    });
  }

  close(): void {
    for (const f of this.off.splice(0)) f();
  }

  esnapOf = (uuid: string): SimBdev | null => this.target.bdevs.get(uuid) ?? null;

  /** An esnap clone is degraded when its parent is gone and nothing keeps it open. */
  esnapMissing(uuid: string): boolean {
    return this.target.bdevs.get(uuid) === undefined && !this.lingering.has(uuid);
  }

  /** Examine: a bdev that carries an lvstore brings it and its lvols back. */
  private async examine(bdev: SimBdev): Promise<void> {
    if (bdev instanceof LvolBdev) return;
    const lvs = await LvStore.load(bdev, this.esnapOf);
    if (lvs === null || this.target.bdevs.get(bdev.name) !== bdev || bdev.claim !== null) return;
    if (this.lvstores.some((l) => l.uuid === lvs.uuid || l.name === lvs.name)) {
      this.target.log('lvstore_not_loaded', { bdev: bdev.name, lvs: lvs.name, reason: 'an lvstore with that name or uuid exists' });
      return;
    }
    this.target.bdevs.claim(bdev.name, { module: 'lvol', holder: lvs.name, claimType: 'read_many_write_one' });
    this.lvstores.push(lvs);
    for (const blob of lvs.blobs.values()) {
      if (blob.parent.kind === 'esnap') this.useEsnap(blob.parent.bdevUuid);
      this.expose(lvs, blob);
    }
    this.target.log('lvstore_loaded', { bdev: bdev.name, lvs: lvs.name, lvols: lvs.blobs.size });
  }

  private hotRemove(bdev: SimBdev): void {
    if (bdev instanceof LvolBdev) return;
    if (this.esnapUsers.has(bdev.uuid)) this.lingering.add(bdev.uuid);
    const lvs = this.lvstores.find((l) => l.base === bdev);
    if (lvs === undefined) return;
    this.target.log('lvstore_closed', { bdev: bdev.name, lvs: lvs.name });
    this.closeLvstore(lvs);
  }

  /** Unregisters an lvstore's lvols and forgets it (hot remove, delete_lvstore). */
  closeLvstore(lvs: LvStore): void {
    const i = this.lvstores.indexOf(lvs);
    if (i >= 0) this.lvstores.splice(i, 1);
    this.copies.abortFor(lvs);
    for (const blob of [...lvs.blobs.values()].reverse()) {
      if (blob.parent.kind === 'esnap') this.releaseEsnap(blob.parent.bdevUuid);
      this.hide(blob);
    }
    this.target.bdevs.release(lvs.base.name, lvs.name);
  }

  expose(lvs: LvStore, blob: Blob): LvolBdev {
    const bdev = new LvolBdev(lvs, blob, (uuid) => this.target.bdevs.get(uuid));
    this.bdevOf.set(blob, bdev);
    this.target.bdevs.add(bdev);
    return bdev;
  }

  hide(blob: Blob): void {
    const bdev = this.bdevOf.get(blob);
    if (bdev === undefined) return;
    this.bdevOf.delete(blob);
    this.target.bdevs.remove(bdev.name, 'lvol closed');
  }

  /** The lvol a name, alias or uuid designates (undefined: no such lvol bdev). */
  findLvol(name: string): LvolBdev | undefined {
    const bdev = this.target.bdevs.get(name);
    return bdev instanceof LvolBdev ? bdev : undefined;
  }

  useEsnap(uuid: string): void {
    const n = this.esnapUsers.get(uuid) ?? 0;
    this.esnapUsers.set(uuid, n + 1);
    const bdev = this.target.bdevs.get(uuid);
    if (n === 0 && bdev && bdev.claim === null) bdev.claim = { module: 'lvol', holder: `esnap:${uuid}`, claimType: 'read_many_write_none' };
  }

  releaseEsnap(uuid: string): void {
    const n = (this.esnapUsers.get(uuid) ?? 1) - 1;
    if (n > 0) {
      this.esnapUsers.set(uuid, n);
      return;
    }
    this.esnapUsers.delete(uuid);
    this.lingering.delete(uuid);
    const bdev = this.target.bdevs.get(uuid);
    if (bdev) this.target.bdevs.release(bdev.name, `esnap:${uuid}`);
  }
}

export function lvolModule(target: CoreTarget): SimModule {
  return new LvolModule(target);
}
