/**
 * Who uses a replica of this node right now: a local engine that has it as a member (its raid
 * reads and writes the head lvol directly), or hosts with a controller on its export (a remote
 * engine's bdev_nvme). Operations that would destroy or change the data under them ask here first
 * and refuse, naming the users, unless the caller forces them.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { EngineSpec } from '../node/state-file.js';

const DISCONNECT_GRACE_MS = 1_000;
const DISCONNECT_POLL_MS = 50;

export interface ReplicaUsers {
  /** Local engines with the replica as a member. */
  engines: string[];
  /** Host NQNs with a controller on the replica's export. */
  hosts: string[];
}

/** The engines' records as they are now (read only): EngineRecords, whose index answers by replica. */
export interface EngineMembership {
  localEnginesOf(replica: string): string[];
  get(engine: string): EngineSpec | undefined;
}

export class ReplicaUsage {
  constructor(
    private readonly ctx: Pick<DomainContext, 'spdk' | 'inventory' | 'log'>,
    private readonly engines: EngineMembership,
  ) {}

  /** The local engines that have `replica` as a member. */
  localEngines(replica: string): string[] {
    return this.engines.localEnginesOf(replica);
  }

  /**
   * The local engines whose raid holds `replica` now: its engines, less those where it is a new
   * member still queued or having snapshots copied into it (exposed to this node for that copy).
   */
  localRaidsHolding(replica: string): string[] {
    return this.engines.localEnginesOf(replica).filter((engine) => {
      const phase = this.engines.get(engine)?.rebuilding?.[replica]?.phase;
      return phase !== 'queued' && phase !== 'copying-snapshots';
    });
  }

  /**
   * The hosts connected to the replica's export, as spdk_tgt lists its controllers. The target
   * learns of a disconnect after the host has made it: a member just removed from its engine (the
   * usual step before a delete) may be listed a moment longer, so a listing is confirmed for up
   * to `graceMs` before it counts.
   */
  async connectedHosts(replica: string, options?: CallOptions, graceMs = DISCONNECT_GRACE_MS): Promise<string[]> {
    const record = this.ctx.inventory.exports.get(replica);
    if (!record) return [];
    const deadline = Date.now() + graceMs;
    for (;;) {
      const controllers = await this.ctx.spdk.nvmf.getControllers({ nqn: record.nqn }, options);
      if (controllers.length === 0 || Date.now() >= deadline) return [...new Set(controllers.map((c) => c.hostnqn))].sort();
      await sleep(DISCONNECT_POLL_MS);
    }
  }

  async users(replica: string, options?: CallOptions, graceMs = DISCONNECT_GRACE_MS): Promise<ReplicaUsers> {
    return { engines: this.localEngines(replica), hosts: await this.connectedHosts(replica, options, graceMs) };
  }

  /**
   * Refuses `action` (a phrase: "delete", "revert to snapshot s1") while the replica is in use;
   * with `force` it goes ahead and the log says who was using it. A forced call goes ahead whoever
   * is listed, so it reads the hosts once: the grace only keeps a departing host from refusing a
   * call, and waiting it out cost an engine expansion a second per remote member and step.
   */
  async refuseIfUsed(replica: string, action: string, force: boolean, options?: CallOptions): Promise<void> {
    const users = await this.users(replica, options, force ? 0 : DISCONNECT_GRACE_MS);
    if (users.engines.length === 0 && users.hosts.length === 0) return;
    if (force) {
      this.ctx.log.warn({ replica, action, ...users }, 'forced while the replica is in use');
      return;
    }
    throw new ConductorError('REPLICA_IN_USE', `replica ${replica} is in use (${describeUsers(users)}); ${action} refused: remove it from the engine or disconnect the hosts first, or pass force`, {
      ...users,
    });
  }
}

export function describeUsers(users: ReplicaUsers): string {
  const parts: string[] = [];
  if (users.engines.length > 0) parts.push(`member of engine ${users.engines.join(', ')}`);
  if (users.hosts.length > 0) parts.push(`host${users.hosts.length > 1 ? 's' : ''} ${users.hosts.join(', ')} connected to its export`);
  return parts.join('; ');
}
