/**
 * An EngineCreate's salvage decision (the rule itself is salvage.ts): whether its members hold
 * data, the raid examine assembled from their superblocks if any, and the source it takes; the
 * create (engines.ts) then makes the raid from that source and rebuilds the others.
 */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { RaidBdev } from '../../spdk/methods/raid.js';
import { quoted } from '../../validation/text.js';
import type { DomainContext } from '../node/context.js';
import { engineRaidName } from '../node/naming.js';
import type { EngineSpec } from '../node/state-file.js';
import type { SalvageInfo } from '../model.js';
import { type Attached, memberSlotNames } from './members.js';
import { chooseSource, type SalvageProbe } from './salvage.js';

/** This engine's raid as examine assembled it from the members' superblocks (SalvagePlan.examineAssembled). */
interface AssembledRaid {
  state: string;
  /** Members configured from the newest superblock. */
  configured: Set<string>;
}

/** The member an EngineCreate names as its salvage source: one of the engine's; none when empty. */
export function checkSalvageSource(spec: EngineSpec, source: string | undefined): string | undefined {
  if (source === undefined || source === '') return undefined;
  if (!spec.replicas.some((r) => r.name === source)) {
    throw new ConductorError('INVALID_ARGUMENT', `source ${quoted(source)} is not a member of engine ${spec.name} (members: ${spec.replicas.map((r) => r.name).join(', ')})`, {
      field: 'source',
    });
  }
  return source;
}

export class SalvagePlan {
  constructor(
    private readonly ctx: Pick<DomainContext, 'spdk' | 'log' | 'inventory'>,
    /** One raid by name (EngineStatus.raidByName): a configuring raid, as examine leaves one, is no bdev. */
    private readonly raidByName: (name: string, options?: CallOptions) => Promise<RaidBdev | undefined>,
    /** Reads what the members hold; without it every engine is made as new. */
    private readonly probe?: SalvageProbe,
  ) {}

  /**
   * The salvage of members that may have diverged (engine/salvage.ts): none when every member is
   * new and empty. Members that carry this volume's raid superblock were assembled by examine
   * into the engine's raid from the newest one (spdk_tgt v26.05, raid_bdev_examine_sb): that raid
   * is kept, and the members it configured are those of the newest sequence. spdk_tgt refuses a
   * member carrying that superblock to any other raid (-EEXIST), so a source it left out cannot
   * be made the raid's: such a request is refused.
   */
  async decide(spec: EngineSpec, healthy: readonly Attached[], source: string | undefined, options?: CallOptions): Promise<{ salvage: SalvageInfo | undefined; assembled: AssembledRaid | undefined }> {
    if (!this.probe) return { salvage: undefined, assembled: undefined };
    if (source !== undefined && !healthy.some((m) => m.name === source)) {
      throw new ConductorError('REPLICA_UNREACHABLE', `source ${source} of engine ${spec.name} could not be attached; nothing was made`, { field: 'source' });
    }
    const members = spec.replicas.filter((r) => healthy.some((m) => m.name === r.name));
    const evidence = await this.probe.evidence(members, options);
    if (evidence.every((m) => m.empty === true)) return { salvage: undefined, assembled: undefined };
    const assembled = await this.examineAssembled(spec, healthy, options);
    // Members whose node cannot be asked (no api_address) and nothing else known written, nor this
    // volume's superblock on any: a new engine, made as always (docs/volume-operations.md).
    if (!assembled && !evidence.some((m) => m.empty === false)) {
      this.ctx.log.info(
        { engine: spec.name, unknown: evidence.filter((m) => m.empty === undefined).map((m) => m.name) },
        'members whose node cannot be asked; none known written: made as new, nothing rebuilt',
      );
      return { salvage: undefined, assembled: undefined };
    }
    if (assembled) for (const member of evidence) member.newestSuperblock = assembled.configured.has(member.name);
    const salvage = chooseSource(evidence, source);
    if (salvage && assembled && !assembled.configured.has(salvage.source)) {
      throw new ConductorError(
        'SALVAGE_SOURCE_STALE',
        `replica ${salvage.source} carries an older raid superblock of engine ${spec.name} than ${[...assembled.configured].join(', ')}: spdk_tgt assembled the raid from the newest and refuses the older member to any other raid, so it cannot be the source; nothing was made`,
        { field: 'source' },
      );
    }
    if (assembled && assembled.state !== 'online') {
      throw new ConductorError(
        'REPLICA_UNREACHABLE',
        `the raid spdk_tgt assembled from the members' superblocks is ${assembled.state}: a member of the newest superblock is not attached; nothing was made`,
      );
    }
    if (salvage) {
      const rebuilt = salvage.members.filter((m) => m.verdict === 'rebuilt');
      this.ctx.log.warn(
        {
          engine: spec.name,
          source: salvage.source,
          rule: salvage.rule,
          reason: salvage.reason,
          rebuilt: rebuilt.map((m) => `${m.replica}: ${m.reason}`),
          assembledByExamine: assembled !== undefined,
        },
        'engine made over members that hold data: the others are rebuilt from the source',
      );
    }
    return { salvage, assembled };
  }

  /**
   * This engine's raid as examine assembled it from the members' superblocks, with the members it
   * configured from the newest one (a member it re-added and is rebuilding is not one of them).
   */
  private async examineAssembled(spec: EngineSpec, healthy: readonly Attached[], options?: CallOptions): Promise<AssembledRaid | undefined> {
    await this.ctx.spdk.bdev.waitForExamine(options);
    const raid = await this.raidByName(engineRaidName(spec.name), options);
    if (!raid) return undefined;
    const owner = new Map<string, string>();
    for (const member of spec.replicas) {
      const attached = healthy.find((m) => m.name === member.name);
      for (const name of [...memberSlotNames(spec.name, member, this.ctx), ...(attached?.bdev ? [attached.bdev] : [])]) owner.set(name, member.name);
    }
    const configured = new Set<string>();
    for (const slot of raid.base_bdevs_list) {
      if (slot.is_configured && slot.name && slot.name !== raid.process?.target && owner.has(slot.name)) configured.add(owner.get(slot.name)!);
    }
    this.ctx.log.info({ engine: spec.name, state: raid.state, configured: [...configured] }, "the members carry this engine's raid superblock: examine assembled the raid from the newest");
    return { state: raid.state, configured };
  }
}
