/**
 * ReplicaExpose and ReplicaUnexpose on a replica that exists, under its lock: the export planned
 * (exports.ts plan: add, replace or unchanged), refused for a member of a local engine, and the
 * change told to ReplicaWatch.
 */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { ExposeMode, ReplicaInfo } from '../model.js';
import type { HostSecrets } from '../node/keys.js';
import type { Exports } from './exports.js';
import type { Replicas } from './replicas.js';
import type { ReplicaUsage } from './usage.js';

export class ReplicaExposure {
  constructor(
    private readonly ctx: Pick<DomainContext, 'locks' | 'inventory' | 'events' | 'log' | 'state'>,
    private readonly replicas: Replicas,
    private readonly exports: Exports,
    private readonly usage: Pick<ReplicaUsage, 'localRaidsHolding'>,
    /** Before a fresh clone's first export: its stale raid superblock cleared (StaleSuperblocks.clearBeforeExport). */
    private readonly beforeFirstExport?: (replica: string, options?: CallOptions) => Promise<unknown>,
  ) {}

  expose(name: string, hostNqns: string[], options?: CallOptions, mode?: ExposeMode, secrets?: ReadonlyMap<string, HostSecrets>): Promise<ReplicaInfo> {
    return this.ctx.locks.with(`replica:${name}`, async () => {
      const head = this.replicas.head(name);
      const plan = this.exports.plan(name, hostNqns, mode, secrets);
      // Unchanged: exported already with these hosts, or a remove with nothing to remove.
      if (plan.outcome === 'unchanged') return this.replicas.info(head);
      // A local engine's raid holds the member's lvol: spdk_tgt would refuse its namespace
      // (-32602), and the export could only be a second writer beside the raid anyway.
      const engines = this.usage.localRaidsHolding(name);
      if (engines.length > 0 && !this.ctx.inventory.exports.has(name)) {
        throw new ConductorError(
          'REPLICA_IN_USE',
          `replica ${name} is a member of local engine ${engines.join(', ')}; its raid uses it directly, so it cannot also be exported. Remove it from the engine first`,
        );
      }
      if (!this.ctx.inventory.exports.has(name) && this.ctx.state.cloneOf(name)) await this.beforeFirstExport?.(name, options);
      // A remove asks nothing of the hosts that stay (their keys are kept as they are).
      await this.exports.expose(name, head.disk, plan.hosts, options, undefined, secrets, mode === 'remove' ? [] : hostNqns);
      // Exported, it may join a raid elsewhere and carry that raid's superblock: no fresh clone now.
      await this.ctx.state.dropClone(name, 'exported');
      const info = this.replicas.info(head);
      const reason =
        plan.outcome === 'added'
          ? `hosts added: ${hostNqns.join(', ')}`
          : plan.outcome === 'removed'
            ? `hosts removed: ${hostNqns.filter((h) => !plan.hosts.includes(h)).join(', ')}`
            : `exposed to ${plan.hosts.join(', ')}${plan.outcome === 'replaced' ? ' (host list replaced)' : ''}`;
      this.ctx.events.emit('modified', info, reason);
      this.ctx.log.info({ replica: name, outcome: plan.outcome, hosts: plan.hosts }, 'replica expose');
      return info;
    });
  }

  unexpose(name: string, options?: CallOptions): Promise<ReplicaInfo> {
    return this.ctx.locks.with(`replica:${name}`, async () => {
      const head = this.replicas.head(name);
      if (!this.ctx.inventory.exports.has(name)) return this.replicas.info(head);
      await this.exports.unexpose(name, options);
      const info = this.replicas.info(head);
      this.ctx.events.emit('modified', info, 'unexposed');
      return info;
    });
  }
}
