/**
 * A replica created and exposed in one operation (ReplicaCreate with host NQNs). The head and the
 * subsystem are independent objects, so they are made at once; the namespace waits for the head.
 * All or nothing: what this call made is removed if either part fails.
 */
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { ReplicaInfo } from '../model.js';
import type { HostSecrets } from '../node/keys.js';
import type { Disks } from './disks.js';
import type { Exports } from './exports.js';
import type { Replicas } from './replicas.js';

export class CreateExposed {
  constructor(
    private readonly ctx: Pick<DomainContext, 'inventory' | 'events' | 'log'>,
    private readonly replicas: Replicas,
    private readonly exports: Exports,
    private readonly disks: Pick<Disks, 'refreshSoon'>,
  ) {}

  /** For callers that hold the replica's lock. */
  async createHeld(name: string, diskName: string, sizeBytes: number, hosts: string[], options?: CallOptions, secrets?: ReadonlyMap<string, HostSecrets>): Promise<ReplicaInfo> {
    // A delete of this name that did not finish goes first (Replicas.finishDeleteBeforeCreate).
    if (this.replicas.deleteUnfinished(name)) await this.replicas.finishDeleteBeforeCreate(name, options);
    // Before anything is called: an existing replica is returned only if it is exactly this one.
    const existing = this.ctx.inventory.head(name);
    if (existing) {
      const info = this.replicas.existing(existing, diskName, sizeBytes, hosts);
      this.exports.checkSameKeys(name, hosts, secrets);
      return info;
    }
    // One log line for the operation, not one per part: at a thousand creates each line is CPU the
    // create pays for (pino serializes it on the event loop).
    const created = this.replicas.createHeld(name, diskName, sizeBytes, options, false);
    const exported = this.exports.expose(name, diskName, hosts, options, created, secrets, hosts, false);
    const [head, exportResult] = await Promise.allSettled([created, exported]);
    this.disks.refreshSoon(diskName);
    const failure = head.status === 'rejected' ? head.reason : exportResult.status === 'rejected' ? exportResult.reason : undefined;
    if (failure === undefined && exportResult.status === 'fulfilled') {
      this.ctx.log.info({ replica: name, disk: diskName, sizeBytes, ...this.exports.logFields(exportResult.value) }, 'replica created and exposed');
      const info = this.replicas.info(this.replicas.head(name));
      this.ctx.events.emit('modified', info, `exposed to ${hosts.join(', ')}`);
      return info;
    }
    if (head.status === 'fulfilled') {
      await this.replicas
        .finishDelete(name, diskName, options)
        .catch((e: unknown) => this.ctx.log.error({ replica: name, err: (e as Error).message }, 'rollback of a replica whose export failed did not finish'));
      this.ctx.events.emit('deleted', head.value, 'export failed; rolled back');
    }
    throw failure;
  }
}
