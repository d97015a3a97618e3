/**
 * Members out of sync by the engine record (the salvage rule's step a): a member the engine's
 * online raid does not hold, and that is not being rebuilt, missed the writes since it left (the
 * raid failed it, or spdk_tgt took it out). The monitor records it in the engine record (`out`),
 * so that after a crash the engine is never made again trusting it: reassembly rebuilds it rather
 * than counting it in sync. A rebuild of the member, its removal, or its return clears the mark.
 * Only an online raid tells: a raid that is gone or still assembling says nothing of its members.
 */
import type { RaidBdev } from '../../spdk/methods/raid.js';
import type { DomainContext } from '../node/context.js';
import { engineRaidName } from '../node/naming.js';
import { forEachSliced } from '../node/slices.js';
import type { EngineSpec } from '../node/state-file.js';
import type { EngineRecords } from './engine-records.js';
import { memberSlotNames } from './members.js';

/** The members of `spec` its online raid lacks and no rebuild covers, not yet marked out. */
export function newlyOut(spec: EngineSpec, raid: RaidBdev | undefined, ctx: Pick<DomainContext, 'inventory'>): string[] {
  if (!raid || raid.state !== 'online' || spec.creating) return [];
  const held = new Set(raid.base_bdevs_list.filter((b) => b.is_configured && b.name).map((b) => b.name!));
  if (raid.process?.target) held.add(raid.process.target);
  return spec.replicas
    .filter((m) => !(spec.rebuilding && Object.hasOwn(spec.rebuilding, m.name)) && !spec.out?.includes(m.name))
    .filter((m) => !memberSlotNames(spec.name, m, ctx).some((n) => held.has(n)))
    .map((m) => m.name);
}

/**
 * The members of `spec` marked out that its online raid holds configured again, with no rebuild
 * of them running (not the raid's process target) or recorded: back in sync. A rebuild spdk_tgt
 * ran and finished between two passes (a small volume, or one re-added at re-assembly) leaves no
 * record whose end would clear the mark; this does.
 */
export function backIn(spec: EngineSpec, raid: RaidBdev | undefined, ctx: Pick<DomainContext, 'inventory'>): string[] {
  if (!raid || raid.state !== 'online' || spec.creating || !spec.out?.length) return [];
  const inSync = new Set(raid.base_bdevs_list.filter((b) => b.is_configured && b.name && b.name !== raid.process?.target).map((b) => b.name!));
  return spec.replicas
    .filter((m) => spec.out!.includes(m.name) && !(spec.rebuilding && Object.hasOwn(spec.rebuilding, m.name)))
    .filter((m) => memberSlotNames(spec.name, m, ctx).some((n) => inSync.has(n)))
    .map((m) => m.name);
}

/** One monitor pass's marks, from the raids the pass read; returns `engine/replica` of each new one. */
export async function recordMembersOut(ctx: Pick<DomainContext, 'inventory' | 'log'>, records: EngineRecords, raids: ReadonlyMap<string, RaidBdev> | undefined): Promise<string[]> {
  if (!raids) return [];
  const marked: string[] = [];
  // The check over every engine (500 at scale, each member's slot names built) runs in slices;
  // only the few engines it finds are edited, each read again under its lock.
  const changed: Array<{ spec: EngineSpec; raid: RaidBdev | undefined }> = [];
  await forEachSliced(records.all(), (spec) => {
    const raid = raids.get(engineRaidName(spec.name));
    if (newlyOut(spec, raid, ctx).length > 0 || backIn(spec, raid, ctx).length > 0) changed.push({ spec, raid });
  });
  for (const { spec, raid } of changed) {
    await records.edit(spec.name, async (edit) => {
      const current = edit.current;
      // Read again under the lock: the raid as the pass saw it, the record as it is now.
      const out = current ? newlyOut(current, raid, ctx) : [];
      const back = current ? backIn(current, raid, ctx) : [];
      if (back.length > 0) {
        await edit.markIn(back);
        ctx.log.info({ engine: spec.name, replicas: back }, 'member recorded out is in the online raid again, in sync: the mark is cleared');
      }
      if (out.length === 0) return;
      await edit.markOut(out);
      ctx.log.warn({ engine: spec.name, replicas: out }, 'member out of the raid and not being rebuilt: recorded out of sync, never a source after a crash');
      marked.push(...out.map((r) => `${spec.name}/${r}`));
    });
  }
  return marked;
}
