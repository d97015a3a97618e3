/**
 * Phantom raids on a replica node. A replica that is a member of a superblock engine on another
 * node carries that engine's raid superblock at its start; when this node's spdk_tgt restarts and
 * examine sees the lvol again, it assembles a raid of its own over it (configuring, 1 of 2) and
 * claims the lvol, so the replica cannot be exported again (nvmf_subsystem_add_ns -32602,
 * transcript 17). Such a raid is deleted WITHOUT clearing the superblock, which the engine still
 * needs; it comes back at the next restart and is deleted again.
 *
 * A raid is a phantom when it holds a replica head of this node and is not the raid of an engine
 * recorded on this node; raids that hold no replica of ours are left alone. A superblock probe
 * (zp.<replica>, engine/stale-superblock.ts) left by a killed process is deleted whatever it holds:
 * it never wrote a superblock.
 */
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import { alias, engineRaidName, isProbeRaid } from '../node/naming.js';
import { isGone } from '../node/spdk-verdicts.js';
import type { EngineRecords } from './engine-records.js';

/** Deletes the phantom raids over this node's replicas; returns the names of those it deleted. */
export async function releasePhantomRaids(ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'log'>, records: EngineRecords, options?: CallOptions): Promise<string[]> {
  const replicaOf = new Map<string, string>();
  for (const [replica, head] of ctx.inventory.heads()) {
    replicaOf.set(head.uuid, replica);
    replicaOf.set(alias(head.disk, head.name), replica);
  }
  const engines = new Set(records.all().map((spec) => engineRaidName(spec.name)));
  const released: string[] = [];
  for (const raid of await ctx.spdk.raid.getBdevs('all', options)) {
    if (engines.has(raid.name)) continue;
    const held = raid.base_bdevs_list.filter((b) => b.is_configured && b.name && replicaOf.has(b.name)).map((b) => replicaOf.get(b.name!)!);
    if (held.length === 0 && !isProbeRaid(raid.name)) continue;
    try {
      // clear_sb left out (false): the engine on the other node still needs the superblock.
      await ctx.spdk.raid.delete({ name: raid.name }, options);
    } catch (error) {
      if (!isGone(ctx, error)) throw error;
    }
    if (isProbeRaid(raid.name)) ctx.log.warn({ raid: raid.name, replicas: held }, 'deleted a superblock probe raid left by a previous process');
    else ctx.log.warn({ raid: raid.name, replicas: held }, 'deleted a raid examine assembled from an engine superblock on replicas of this node (its superblock kept); they can be exported again');
    released.push(raid.name);
  }
  return released;
}
