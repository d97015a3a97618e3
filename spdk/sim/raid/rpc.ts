/**
 * bdev_raid_* methods with spdk_tgt v26.05's params decoding and error texts (bdev_raid_rpc.c,
 * transcripts 06, 08, 13, 14). Decode failures are -32700 here except for add_base_bdev (-32603).
 */
import { SimRpcError, type CallContext, type SimTarget } from '../core/contract.js';
import { tableDecoder } from '../core/decode.js';
import { record } from '../fabric/decode.js';
import { EEXIST, EINVAL, ENODEV, EPERM, strerror } from '../fabric/errno.js';
import type { RaidModule } from './index.js';
import { Raid, ZERO_UUID } from './raid-bdev.js';
import { readSuperblock } from './superblock.js';
import { RAID_VALIDATION } from './validation.js';

const failed = (code: number, message: string) => new SimRpcError(code, message);

/**
 * spdk_tgt v26.05 segfaults when a bdev_raid_create and a bdev_raid_delete of the same raid
 * arrive in one 4 ms poll: the process dies before answering either.
 */
function crashOnCreateDeleteRace(target: SimTarget, ctx: CallContext, name: string, self: string): void {
  const other = self === 'bdev_raid_create' ? 'bdev_raid_delete' : 'bdev_raid_create';
  const race = ctx.poll.some((req, i) => i !== ctx.index && req.method === other && record(req.params).name === name);
  if (race) target.crash(`${self} and ${other} of raid ${name} in one poll (spdk_tgt v26.05 segfaults here)`);
}

export function registerRaidRpcs(target: SimTarget, module: RaidModule): void {
  target.register('bdev_raid_get_bdevs', {
    decode: tableDecoder(RAID_VALIDATION, 'bdev_raid_get_bdevs'),
    handler: (params) => {
      const category = record(params).category as string;
      return [...module.raids.values()].filter((r) => category === 'all' || r.state === category).map((r) => ({ name: r.name, uuid: r.uuid, ...r.info() }));
    },
  });

  target.register('bdev_raid_create', {
    decode: tableDecoder(RAID_VALIDATION, 'bdev_raid_create'),
    handler: async (params, ctx) => {
      const p = record(params);
      const name = p.name as string;
      crashOnCreateDeleteRace(target, ctx, name, 'bdev_raid_create');
      const bases = p.base_bdevs as string[];
      const createFailed = (rc: number) => failed(rc, `Failed to create RAID bdev ${name}: ${strerror(rc)}`);
      if (module.raids.has(name)) throw createFailed(-EEXIST);
      const level = p.raid_level as string;
      const strip = (p.strip_size_kb as number | undefined) ?? 0;
      // Only raid1 is simulated; the other levels fail as spdk_tgt fails them without a (power of 2)
      // strip size, which is the only case the transcripts show.
      if (level !== 'raid1' && level !== '1') throw createFailed(-EINVAL);
      if (strip !== 0) throw createFailed(-EINVAL);
      if (bases.length < 2) throw createFailed(-EINVAL);

      const superblock = p.superblock === true;
      const uuid = (p.uuid as string | undefined)?.toLowerCase() ?? (superblock ? crypto.randomUUID() : ZERO_UUID);
      const raid = new Raid(module.env(), name, bases, superblock, uuid);
      module.raids.set(name, raid);
      const undo = (rc: number) => {
        raid.delete();
        if (module.raids.get(name) === raid) module.raids.delete(name);
        return createFailed(rc);
      };
      // Every new member is read first, superblock raid or not: one carrying another raid's
      // superblock (a deleted superblock raid leaves it behind) is refused with EEXIST.
      const present = raid.slots.map((slot) => target.bdevs.get(slot.name ?? ''));
      // bdev_raid.c claims each present member while handling the create and reads its
      // superblock after; the raid bdev is registered once the reads are done, in a later poll.
      // Until then the raid is listed (configuring, nothing discovered), its bdev is not found,
      // and its members are claimed (see SimTarget.currentPoll).
      const early = present.filter((bdev) => bdev !== undefined && bdev.claim === null).map((bdev) => bdev!.name);
      for (const member of early) target.bdevs.claim(member, { module: 'raid', holder: name, claimType: 'exclusive_write' });
      const releaseEarly = () => {
        for (const member of early) target.bdevs.release(member, name);
      };
      let found: Awaited<ReturnType<typeof readSuperblock>>[];
      try {
        found = await Promise.all(present.map((bdev) => (bdev ? readSuperblock(bdev) : null)));
      } finally {
        releaseEarly();
      }
      if (found.some((sb) => sb !== null && sb.uuid !== raid.uuid)) {
        const holder = present[found.findIndex((sb) => sb !== null && sb.uuid !== raid.uuid)];
        target.log('raid_sb_of_other_raid', { message: `Superblock of a different raid bdev found on bdev ${holder?.name}` });
        throw undo(-EEXIST);
      }
      raid.slots.forEach((slot, i) => {
        const bdev = present[i];
        if (!bdev || slot.configured) return; // configured later, when it appears (examine)
        const { rc } = raid.configure(slot, bdev);
        if (rc !== 0) throw undo(rc);
      });
      // spdk_tgt answers once the superblock is on the members.
      await raid.superblockWritten();
      return true;
    },
  });

  target.register('bdev_raid_delete', {
    decode: tableDecoder(RAID_VALIDATION, 'bdev_raid_delete'),
    handler: async (params, ctx) => {
      const p = record(params);
      const name = p.name as string;
      crashOnCreateDeleteRace(target, ctx, name, 'bdev_raid_delete');
      const raid = module.raids.get(name);
      if (!raid) throw failed(-ENODEV, `raid bdev ${name} not found`);
      // clear_sb defaults to false: the members keep the superblock (and examine brings the raid back).
      if (p.clear_sb === true && raid.superblock) await raid.clearSuperblocks();
      if (module.raids.get(name) !== raid) return true;
      raid.delete();
      module.raids.delete(name);
      return true;
    },
  });

  target.register('bdev_raid_add_base_bdev', {
    decode: tableDecoder(RAID_VALIDATION, 'bdev_raid_add_base_bdev'),
    handler: async (params) => {
      const p = record(params);
      const raidName = p.raid_bdev as string;
      const baseName = p.base_bdev as string;
      const raid = module.raids.get(raidName);
      if (!raid) throw failed(-ENODEV, `raid bdev ${raidName} is not found in config`);
      const addFailed = (rc: number) => failed(rc, `Failed to add base bdev ${baseName} to RAID bdev ${raidName}: ${strerror(rc)}`);
      if (raid.process) throw addFailed(-EPERM);
      const slot = raid.freeSlot();
      if (!slot) throw addFailed(-EINVAL);
      const bdev = target.bdevs.get(baseName);
      if (!bdev) {
        // A configuring raid keeps the name and takes the bdev when it appears.
        if (raid.state === 'configuring') slot.name = baseName;
        throw addFailed(-ENODEV);
      }
      // A new member's superblock is read first: this raid's own (a member it lost) re-adds it as
      // examine would; another raid's refuses it.
      const sb = await readSuperblock(bdev);
      if (sb && sb.uuid === raid.uuid) {
        const rc = module.examineSuperblock(sb, bdev);
        if (rc !== 0) throw addFailed(rc);
        return true;
      }
      if (sb) throw addFailed(-EEXIST);
      if (slot.configured || slot.name !== null || raid.process) throw addFailed(raid.process ? -EPERM : -EINVAL);
      slot.name = baseName;
      const result = raid.configure(slot, bdev);
      if (result.rc !== 0) {
        if (result.rebuildFailed) {
          throw failed(result.rc, `Failed to add base bdev to RAID bdev: ${strerror(result.rc)}`);
        }
        slot.name = null;
        throw addFailed(result.rc);
      }
      // spdk_tgt answers once the member is configured and the rebuild thread is up: 9-30 ms.
      await new Promise((resolve) => setTimeout(resolve, 9));
      return true;
    },
  });

  target.register('bdev_raid_remove_base_bdev', {
    decode: tableDecoder(RAID_VALIDATION, 'bdev_raid_remove_base_bdev'),
    handler: (params) => {
      const name = record(params).name as string;
      const removeFailed = (rc: number) => failed(rc, 'Failed to remove base bdev from raid bdev');
      const bdev = target.bdevs.get(name);
      if (!bdev) throw removeFailed(-ENODEV);
      const raid = module.raidOfMember(bdev);
      const slot = raid?.slotOf(bdev);
      if (!raid || !slot) throw removeFailed(-ENODEV);
      const rc = raid.removeMember(slot);
      if (rc !== 0) throw removeFailed(rc);
      return true;
    },
  });

  target.register('bdev_raid_set_options', {
    decode: tableDecoder(RAID_VALIDATION, 'bdev_raid_set_options'),
    handler: (params) => {
      const p = record(params);
      const windowKb = (p.process_window_size_kb as number | undefined) ?? module.options.processWindowSizeKb;
      const bandwidth = (p.process_max_bandwidth_mb_sec as number | undefined) ?? module.options.processMaxBandwidthMbSec;
      if (windowKb === 0) throw failed(-EINVAL, strerror(EINVAL));
      module.options.processWindowSizeKb = windowKb;
      module.options.processMaxBandwidthMbSec = bandwidth;
      return true;
    },
  });
}
