/**
 * Brings an engine back after spdk_tgt restarted (reconcile's engine step) or on an operator's
 * repair: remote members attached again under the same controller names with the budget's
 * timeouts, the raid re-assembled, checked against the engine record, and the engine exported
 * again at its recorded NQN and port. Idempotent: what is right is left alone.
 *
 * Superblock engines are re-assembled by spdk_tgt's examine (transcript 17): the local member
 * brings the raid back `configuring` once its disk is back, the remote ones complete it when they
 * are attached, and a member the raid lost before the crash is re-added and rebuilt by spdk_tgt
 * itself. The record then decides what the superblock cannot tell: a member that is not in the
 * record leaves the raid, and a member the record says was being rebuilt but that the raid counts
 * in sync (no rebuild process on it) is taken out and added again, so that it is rebuilt rather
 * than trusted. A member spdk_tgt is rebuilding is left to that rebuild (the engine shows it
 * rebuilding until it ends).
 *
 * Engines without a superblock (made before it, or over members with no room for it) have no
 * raid after a restart: it is made again from the record with the members that were in sync,
 * and the others are added afterwards, so that they are rebuilt.
 */
import type { Logger } from 'pino';
import { ConductorError, SpdkTransportError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { NvmeController } from '../../spdk/methods/nvme.js';
import type { RaidBdev } from '../../spdk/methods/raid.js';
import type { EngineRepairOutcome, EngineReplicaSpec } from '../model.js';
import type { DomainContext } from '../node/context.js';
import { checkName, engineControllerName, engineRaidName, volumeNqn } from '../node/naming.js';
import { isGone } from '../node/spdk-verdicts.js';
import type { EngineSpec } from '../node/state-file.js';
import type { EngineEdit, EngineRecords } from './engine-records.js';
import type { EngineStatus } from './engine-status.js';
import type { Engines } from './engines.js';
import { memberSlotNames, waitBdevGone } from './members.js';

/** How long examine may take to bring a superblock raid online once its members are there. */
const RAID_WAIT_MS = 10_000;
const POLL_MS = 50;
/** Engines brought back at once: independent objects, pipelined on the one connection. */
const ENGINE_CONCURRENCY = 64;

/**
 * What spdk_tgt had when the step began, read once for every engine: with hundreds of engines,
 * reads per engine (every controller, raid and subsystem of the node each time) made the step
 * quadratic. An engine that changes something reads again what it changed.
 */
interface StepView {
  controllers: ReadonlySet<string>;
  raids: ReadonlyMap<string, RaidBdev>;
  subsystems: ReadonlySet<string>;
}

type ReassemblyContext = Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'ports' | 'settings' | 'log'>;

export class EngineReassembly {
  private readonly log: Logger;

  constructor(
    private readonly ctx: ReassemblyContext,
    private readonly records: EngineRecords,
    private readonly engines: Engines,
    private readonly status: EngineStatus,
    private readonly raidWaitMs = RAID_WAIT_MS,
  ) {
    this.log = ctx.log.child({ component: 'engine-reassembly' });
  }

  /**
   * Reconcile's engine step: every recorded engine, several at once. Returns what could not come
   * back. `controllers`: the whole list, as reconcile has just read it for the options check.
   */
  async all(options: CallOptions, controllers: readonly NvmeController[]): Promise<string[]> {
    // A create that never returned is recovery's to roll back; a revert in flight brings its engine back itself.
    const specs = this.records.all().filter((spec) => !spec.creating && !spec.reverting);
    if (specs.length === 0) return [];
    const [raids, subsystems] = await Promise.all([this.ctx.spdk.raid.getBdevs('all', options), this.ctx.spdk.nvmf.getSubsystems(undefined, options)]);
    const view: StepView = { controllers: new Set(controllers.map((c) => c.name)), raids: new Map(raids.map((r) => [r.name, r])), subsystems: new Set(subsystems.map((s) => s.nqn)) };
    const problems: string[] = [];
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < specs.length) {
        const spec = specs[next++]!;
        try {
          const { problem } = await this.records.edit(spec.name, (edit) => this.run(edit, options, view));
          if (problem) problems.push(`engine ${spec.name}: ${problem}`);
        } catch (error) {
          if (options.signal?.aborted || error instanceof SpdkTransportError) throw error;
          problems.push(`engine ${spec.name}: ${(error as Error).message}`);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(ENGINE_CONCURRENCY, specs.length) }, lane));
    return problems;
  }

  /** The operator's repair: this engine's step now, answering the engine as it ends up. */
  async repair(name: string, options: CallOptions = {}): Promise<EngineRepairOutcome> {
    checkName('volume', name);
    const { actions, problem } = await this.records.edit(name, async (edit) => {
      if (!edit.current) throw new ConductorError('ENGINE_NOT_FOUND', `engine ${name} does not exist on this node`);
      if (edit.current.creating) throw new ConductorError('ENGINE_BROKEN', `engine ${name} is still being created; try again once its create returned`);
      if (edit.current.reverting)
        throw new ConductorError(
          'ENGINE_NOT_REVERTIBLE',
          `engine ${name} is being reverted to snapshot ${edit.current.reverting.snapshot}; the revert brings it back (EngineSnapshotRevert again resumes it)`,
        );
      return this.run(edit, options);
    });
    const spec = this.records.required(name);
    const engine = await this.status.info(spec, options);
    if (actions.length > 0) this.status.changed(name, 'modified', `repaired: ${actions.join('; ')}`);
    return { engine, actions, problem };
  }

  /** Under the engine's lock. `view`: what the step read before it (reconcile); none: read now (repair). */
  private async run(edit: EngineEdit, options: CallOptions, view?: StepView): Promise<{ actions: string[]; problem: string | undefined }> {
    const spec = edit.current;
    if (!spec) return { actions: [], problem: undefined };
    const actions: string[] = [];
    let problem: string | undefined;
    const attached = await this.attachMissing(spec, actions, options, view?.controllers);
    // Reconcile waited for examine before this step: only an attach made here starts another.
    if (attached || !view) await this.ctx.spdk.bdev.waitForExamine(options);
    // Only a member that just appeared can complete a configuring raid: without one, no waiting
    // (a monitor pass retrying a failed reconcile must not wait on every configuring raid).
    const known = attached || !view ? undefined : { raid: view.raids.get(engineRaidName(spec.name)) };
    let raid = spec.superblock ? await this.superblockRaid(spec, options, attached ? this.raidWaitMs : 0, known) : await this.recreated(spec, actions, options, known);
    if (spec.superblock && !raid && (await this.reattachRemote(spec, actions, options))) raid = await this.superblockRaid(spec, options, this.raidWaitMs);
    if (!raid) {
      problem = spec.superblock
        ? `raid ${engineRaidName(spec.name)} did not come back: no member carrying its superblock is in spdk_tgt`
        : `raid ${engineRaidName(spec.name)} cannot be made again: fewer than two of its members are here and in sync`;
    } else if (raid.state !== 'online') {
      const waiting = raid.base_bdevs_list.filter((b) => !b.is_configured && b.uuid !== ZERO_UUID).length;
      problem = `raid ${engineRaidName(spec.name)} is ${raid.state}: ${waiting} member(s) it needs are not back yet (spdk_tgt completes it when they are attached)`;
    } else {
      await this.followRecord(spec, raid, actions, options);
    }
    if (raid && raid.state === 'online') await this.reexport(spec, actions, options, view?.subsystems);
    if (actions.length > 0 || problem) this.log.info({ engine: spec.name, actions, problem }, problem ? 'engine not brought back whole' : 'engine brought back');
    return { actions, problem };
  }

  /**
   * Remote members without a controller are attached again, under the same names and timeouts.
   * True when one was. Without the step's view (repair), the members' controllers are asked for by name.
   */
  private async attachMissing(spec: EngineSpec, actions: string[], options: CallOptions, known?: ReadonlySet<string>): Promise<boolean> {
    const remote = spec.replicas.filter((r) => r.kind === 'remote').map((r) => engineControllerName(spec.name, r.name));
    const controllers = known ?? new Set((await this.status.controllersNamed(remote, options)).map((c) => c.name));
    const missing = spec.replicas.filter((r) => r.kind === 'remote' && !controllers.has(engineControllerName(spec.name, r.name)));
    let any = false;
    for (const attached of missing.length > 0 ? await this.engines.attachAll({ ...spec, replicas: missing }, options) : []) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (attached.bdev) {
        actions.push(`attached ${attached.name}`);
        any = true;
      } else {
        this.log.warn({ engine: spec.name, replica: attached.name, reason: attached.error }, 'member not attached again');
      }
    }
    return any;
  }

  /**
   * A superblock raid deleted while its members stayed (not a restart: examine does not run
   * again) comes back when a member appears again: the remote members' controllers are detached
   * and attached again, and examine assembles the raid from their superblock and takes the other
   * members already here (examine-others in spdk_tgt). True when it did so.
   */
  private async reattachRemote(spec: EngineSpec, actions: string[], options: CallOptions): Promise<boolean> {
    const remote = spec.replicas.filter((r) => r.kind === 'remote');
    if (remote.length === 0) return false;
    for (const member of remote) {
      try {
        await this.ctx.spdk.nvme.detachController({ name: engineControllerName(spec.name, member.name) }, options);
      } catch (error) {
        if (!isGone(this.ctx, error)) throw error;
      }
      await waitBdevGone(this.ctx, memberSlotNames(spec.name, member, this.ctx)[0]!, this.raidWaitMs, options);
    }
    actions.push(`detached ${remote.map((r) => r.name).join(', ')} to have examine find the raid superblock again`);
    await this.attachMissing(spec, actions, options);
    await this.ctx.spdk.bdev.waitForExamine(options);
    return true;
  }

  /** The raid examine brings back: waited for until online (or the deadline), undefined when none appeared. `known`: as the step read it. */
  private async superblockRaid(spec: EngineSpec, options: CallOptions, waitMs: number, known?: { raid: RaidBdev | undefined }): Promise<RaidBdev | undefined> {
    const deadline = Date.now() + waitMs;
    for (let first = true; ; first = false) {
      const raid = first && known ? known.raid : await this.raid(spec, options);
      // Examine is over (bdev_wait_for_examine): no raid now means none is coming.
      if (!raid || raid.state === 'online' || Date.now() > deadline) return raid;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  /**
   * A raid without a superblock is gone after a restart: made again over the members that were in
   * sync (by the record) and here; one stale member may complete the pair raid1 needs, and is
   * then taken out and added again before anything reads it (the export comes after).
   */
  private async recreated(spec: EngineSpec, actions: string[], options: CallOptions, known?: { raid: RaidBdev | undefined }): Promise<RaidBdev | undefined> {
    const existing = known ? known.raid : await this.raid(spec, options);
    if (existing?.state === 'online') return existing;
    if (existing) {
      await this.ctx.spdk.raid.delete({ name: existing.name }, options);
      actions.push(`deleted the ${existing.state} raid`);
    }
    const present = (await Promise.all(spec.replicas.map(async (r) => ((await this.present(spec, r, options)) ? r : undefined)))).filter((r) => r !== undefined);
    const inSync = present.filter((r) => !staleInRecord(spec, r.name));
    const stale = present.filter((r) => staleInRecord(spec, r.name));
    if (inSync.length === 0) return undefined;
    const filler = inSync.length < 2 ? stale[0] : undefined;
    if (inSync.length < 2 && !filler) return undefined;
    const base = [...inSync, ...(filler ? [filler] : [])];
    await this.ctx.spdk.raid.create({ name: engineRaidName(spec.name), raid_level: 'raid1', base_bdevs: base.map((r) => memberSlotNames(spec.name, r, this.ctx)[0]!), strip_size_kb: 0 }, options);
    actions.push(`made the raid again over ${inSync.map((r) => r.name).join(', ')}`);
    if (filler) {
      await this.ctx.spdk.raid.removeBaseBdev({ name: memberSlotNames(spec.name, filler, this.ctx)[0]! }, options);
      await this.ctx.spdk.raid.addBaseBdev({ raid_bdev: engineRaidName(spec.name), base_bdev: memberSlotNames(spec.name, filler, this.ctx)[0]! }, options);
      actions.push(`added ${filler.name} again to be rebuilt`);
    }
    return this.raid(spec, options);
  }

  /**
   * The record decides what the superblock cannot tell: members it does not hold leave; a member
   * it says was being rebuilt that the raid counts in sync is taken out and added again (rebuilt);
   * members it holds that are here but not in the raid are added (rebuilt), one at a time as
   * spdk_tgt rebuilds them.
   */
  private async followRecord(spec: EngineSpec, raid: RaidBdev, actions: string[], options: CallOptions): Promise<void> {
    const owner = new Map<string, Readonly<EngineReplicaSpec>>();
    for (const member of spec.replicas) for (const name of memberSlotNames(spec.name, member, this.ctx)) owner.set(name, member);
    let process = raid.process?.target;
    let changed = false;
    for (const slot of raid.base_bdevs_list) {
      if (!slot.is_configured || !slot.name) continue;
      const member = owner.get(slot.name);
      if (!member) {
        await this.ctx.spdk.raid.removeBaseBdev({ name: slot.name }, options);
        changed = true;
        actions.push(`took ${slot.name} out of the raid: not a member by the record`);
        this.log.warn({ engine: spec.name, bdev: slot.name }, 'the raid re-assembled a bdev the engine record does not hold; taken out');
        continue;
      }
      if (!staleInRecord(spec, member.name) || process === slot.name) continue;
      // The record says its data was not complete; the raid counts it in sync: it is rebuilt.
      await this.ctx.spdk.raid.removeBaseBdev({ name: slot.name }, options);
      changed = true;
      actions.push(`took ${member.name} out: the record says it was being rebuilt, the raid counted it in sync`);
      this.log.warn({ engine: spec.name, replica: member.name }, 'stale member counted in sync by the raid; taken out to be rebuilt');
      if (process === undefined && (await this.addBack(spec, member, options))) {
        process = slot.name;
        actions.push(`added ${member.name} again to be rebuilt`);
      }
    }
    if (process !== undefined) return;
    const fresh = changed ? await this.raid(spec, options) : raid;
    const configured = new Set(fresh?.base_bdevs_list.filter((b) => b.is_configured && b.name).map((b) => b.name!));
    for (const member of spec.replicas) {
      if (memberSlotNames(spec.name, member, this.ctx).some((n) => configured.has(n))) continue;
      // Rebuilds still queued or copying snapshots belong to the rebuild queue.
      const phase = spec.rebuilding?.[member.name]?.phase;
      if (phase === 'queued' || phase === 'copying-snapshots') continue;
      if (!(await this.present(spec, member, options))) continue;
      if (await this.addBack(spec, member, options)) {
        actions.push(`added ${member.name} back to be rebuilt`);
        return; // spdk_tgt rebuilds one member at a time; the next repair or reconcile adds the next
      }
    }
  }

  private async addBack(spec: EngineSpec, member: Readonly<EngineReplicaSpec>, options: CallOptions): Promise<boolean> {
    try {
      await this.ctx.spdk.raid.addBaseBdev({ raid_bdev: engineRaidName(spec.name), base_bdev: memberSlotNames(spec.name, member, this.ctx)[0]! }, options);
      return true;
    } catch (error) {
      if (options.signal?.aborted || error instanceof SpdkTransportError) throw error;
      this.log.warn({ engine: spec.name, replica: member.name, err: (error as Error).message }, 'member not added back; the next repair tries again');
      return false;
    }
  }

  /** The export at the recorded NQN and port, made again when spdk_tgt lost it. */
  private async reexport(spec: EngineSpec, actions: string[], options: CallOptions, known?: ReadonlySet<string>): Promise<void> {
    const nqn = volumeNqn(spec.name);
    const subsystems = known ?? new Set((await this.ctx.spdk.nvmf.getSubsystems(undefined, options)).map((s) => s.nqn));
    if (subsystems.has(nqn)) return;
    const port = await this.engines.export(spec, options, spec.port || undefined);
    actions.push(`exported again at ${nqn} port ${port}`);
  }

  private async raid(spec: EngineSpec, options: CallOptions): Promise<RaidBdev | undefined> {
    return this.status.raidByName(engineRaidName(spec.name), options);
  }

  /** Whether the member's bdev is in spdk_tgt (a local head, or a remote namespace attached). */
  private async present(spec: EngineSpec, member: Readonly<EngineReplicaSpec>, options: CallOptions): Promise<boolean> {
    if (member.kind === 'local') return this.ctx.inventory.head(member.name) !== undefined;
    try {
      return (await this.ctx.spdk.bdev.getBdevs({ name: memberSlotNames(spec.name, member, this.ctx)[0]! }, options)).length > 0;
    } catch (error) {
      if (isGone(this.ctx, error)) return false;
      throw error;
    }
  }
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** Out of sync by the record (the salvage rule's step a): being rebuilt, or seen out of the raid (members-out.ts). */
function staleInRecord(spec: EngineSpec, replica: string): boolean {
  return (spec.rebuilding !== undefined && Object.hasOwn(spec.rebuilding, replica)) || (spec.out?.includes(replica) ?? false);
}
