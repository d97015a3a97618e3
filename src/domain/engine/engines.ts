/**
 * Engines: a volume's raid1 on this node over its replicas (remote ones attached with bdev_nvme
 * under the timeout budget, local ones directly), exported as one NVMe-oF subsystem.
 *
 * The engine's spec (what it was asked to be) is recorded before anything is made, because
 * spdk_tgt forgets a member's address once its controller is gone. Deletes and removals use only
 * this node's spdk_tgt: they succeed when a replica's node is gone.
 */
import { ConductorError, SpdkRpcError, SpdkTransportError, type ErrorCode } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { DeleteOutcome, EngineCreate, EngineInfo, EngineReplicaSpec, PageRequest, TimeoutOverride } from '../model.js';
import { pageItems } from '../node/sorted-names.js';
import { checkSecrets, engineKeyUser, hasKeys, keyNamesOf, keyParams, type HostSecrets } from '../node/keys.js';
import { alias, checkName, engineControllerName, engineMemberBdev, engineRaidName, headLvolName, namespaceIds, volumeNqn } from '../node/naming.js';
import { portProblem, replicaAddressProblem } from '../../validation/network.js';
import { nqnProblem } from '../../validation/nqn.js';
import { sizeBytesProblem } from '../../validation/sizes.js';
import { deleteQuietly, existsVerdict, isGone, translate } from '../node/spdk-verdicts.js';
import { listenOnFreePort } from '../replica/exports.js';
import type { EngineSpec } from '../node/state-file.js';
import type { EngineEdit, EngineRecords } from './engine-records.js';
import type { EngineStatus } from './engine-status.js';
import { type Attached, checkJoinSize, checkLocalMembers, checkRemoteSizes, memberBdev, memberSlotNames, superblockFits, waitBdevGone } from './members.js';
import type { HostTimeouts } from './timeout-budget.js';
import type { SalvageProbe } from './salvage.js';
import { checkSalvageSource, SalvagePlan } from './salvage-plan.js';
import { isRaidExists, type StaleSuperblocks } from './stale-superblock.js';

const MIB = 1024 * 1024;
/** raid1 in spdk_tgt v26.05 refuses to start with fewer members (transcript 08). */
const RAID1_MIN_MEMBERS = 2;

/** What engines need beyond the node's context: the budget's numbers and the host frontend. */
export interface EngineDeps {
  attachParams(override?: TimeoutOverride): { ctrlr_loss_timeout_sec: number; reconnect_delay_sec: number; fast_io_fail_timeout_sec: number };
  hostCtrlLossTmoSec(override?: TimeoutOverride): number;
  /** The host's side of the budget (with an engine's override): what its `nvme connect` line says. */
  hostTimeouts(override?: TimeoutOverride): HostTimeouts;
  /** The NQN this node's bdev_nvme presents to replica targets. */
  engineHostNqn: string;
  /** Connects this node's kernel to an export (nvme-host frontend); undefined where unavailable. */
  hostFrontend: HostFrontend | undefined;
  /** How long a removal waits for a member's bdev to be really gone. */
  memberGoneTimeoutMs: number;
}

export interface HostFrontend {
  readonly hostNqn: string;
  connect(params: { nqn: string; address: string; port: number; ctrlLossTmoSec: number }): Promise<{ device: string }>;
  disconnect(nqn: string): Promise<void>;
}

type EnginesContext = Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'admission' | 'ports' | 'settings' | 'keys' | 'log' | 'state'>;

/** spdk_tgt's errnos on an attach (transcript 18): -5 I/O error, -17 same path attached, -126 key not in the keyring. */
const EIO = -5;
const EEXIST = -17;
const ENOKEY = -126;

export class Engines {
  constructor(
    private readonly ctx: EnginesContext,
    private readonly records: EngineRecords,
    private readonly deps: EngineDeps,
    private readonly status: EngineStatus,
    /** Reads what the members hold, to choose a source among members that may have diverged. */
    salvage?: SalvageProbe,
    /** Clears a fresh clone's stale raid superblock when the raid create refuses it (-17); without it the create fails. */
    private readonly staleSuperblocks?: StaleSuperblocks,
  ) {
    this.salvagePlan = new SalvagePlan(ctx, (raid, options) => status.raidByName(raid, options), salvage);
  }

  private readonly salvagePlan: SalvagePlan;

  async create(request: EngineCreate, options?: CallOptions, secrets?: ReadonlyMap<string, HostSecrets>): Promise<EngineInfo> {
    let spec = this.validate(request, secrets);
    const source = checkSalvageSource(spec, request.source);
    return this.records.edit(spec.name, async (edit) => {
      const existing = edit.current;
      if (existing) {
        if (!sameSpec(existing, spec)) throw new ConductorError('ENGINE_EXISTS', `engine ${spec.name} exists with another configuration; delete it first`);
        return this.status.info(existing, options);
      }
      if (spec.frontend === 'nvme-host' && !this.deps.hostFrontend) {
        throw new ConductorError('HOST_NVME_UNAVAILABLE', 'the nvme-host frontend is not available on this node (nvme-cli or the nvme-tcp module is missing); use export-only');
      }
      await checkLocalMembers(this.ctx, spec, this.records, options);
      // Refused with the numbers before anything is made, rather than failing halfway in spdk_tgt.
      const reservation = await this.ctx.admission.admit({ kind: 'engine', what: `engine ${spec.name}`, controllers: spec.replicas.filter((r) => r.kind === 'remote').length, subsystems: 1 }, options);
      await edit.create(spec);
      // What the reservation leaves in spdk_tgt: said, it needs no recount of ~2,000 subsystems
      // (a megabyte and more of JSON on the main loop) to stop counting as work in flight.
      let made: string[] | undefined;
      try {
        for (const member of spec.replicas) {
          const given = secrets?.get(member.name);
          if (member.kind === 'remote' && given) await this.ctx.keys.hold(engineKeyUser(spec.name, member.name), given, options);
        }
        const attached = await this.attachAll(spec, options);
        const healthy = attached.filter((m) => m.bdev !== undefined);
        if (healthy.length < Math.min(RAID1_MIN_MEMBERS, spec.replicas.length)) {
          const why = attached.map((m) => `${m.name}: ${m.error ?? 'ok'}`).join('; ');
          // A refused key is the caller's to fix: its code beats "unreachable".
          const code = attached.find((m) => m.code)?.code ?? 'REPLICA_UNREACHABLE';
          throw new ConductorError(code, `engine ${spec.name} needs at least ${RAID1_MIN_MEMBERS} reachable replicas to start, ${healthy.length} reachable (${why})`);
        }
        // A remote member's size is known only once it is attached; the rollback below detaches it.
        await checkRemoteSizes(this.ctx, spec, healthy, options);
        // With a superblock examine re-assembles the raid after spdk_tgt restarts and knows which
        // members were in sync; it needs room on every member (members.ts, superblockFits).
        const superblock = await superblockFits(this.ctx, spec, healthy, options);
        if (!superblock)
          this.ctx.log.warn({ engine: spec.name }, 'a member has no room for a raid superblock beyond the volume size; engine made without one (reconcile re-creates it from its record)');
        const { salvage, assembled } = await this.salvagePlan.decide(spec, healthy, source, options);
        // The source first, so the raid starts from its data; the others leave it at once, before
        // anything reads the raid (the export comes later), to be rebuilt from the source. A raid
        // examine assembled from the members' superblocks is this engine's: kept, not made again.
        const base = salvage ? [...healthy.filter((m) => m.name === salvage.source), ...healthy.filter((m) => m.name !== salvage.source)] : healthy;
        if (!assembled) await this.createRaid(spec, base, superblock, options);
        spec = { ...spec, ...(superblock || assembled ? { superblock: true } : {}) };
        for (const member of salvage ? base.slice(1) : []) {
          if (!assembled || assembled.configured.has(member.name)) await this.ctx.spdk.raid.removeBaseBdev({ name: member.bdev! }, options);
        }
        // From here on a rollback releases the port too.
        spec = { ...spec, port: await this.export(spec, options) };
        made = [volumeNqn(spec.name)];
        for (const failed of attached.filter((m) => m.error)) this.ctx.log.warn({ engine: spec.name, replica: failed.name, reason: failed.error }, 'replica not attached; engine starts degraded');
        const info = await this.status.info(spec, options);
        if (spec.frontend === 'nvme-host') await this.connectHost(spec, info);
        await edit.confirmCreated(spec.port, spec.superblock === true, salvage);
        // In a raid now: a fresh clone among the members holds this engine's superblock, no stale one.
        for (const member of spec.replicas) if (member.kind === 'local') await this.ctx.state.dropClone(member.name, `a member of engine ${spec.name}`);
        this.ctx.log.info({ engine: spec.name, members: healthy.map((m) => m.name), state: info.state }, 'engine created');
        this.status.changed(spec.name, 'added', 'created');
        return this.status.info(spec, options);
      } catch (error) {
        made = undefined;
        await this.teardown(spec, edit, options).then(
          () => (made = []),
          (e: unknown) => this.ctx.log.error({ engine: spec.name, err: (e as Error).message }, 'rollback of a failed engine create left objects; recovery will retry'),
        );
        throw translate(error, `engine ${spec.name}`);
      } finally {
        reservation.release(made);
      }
    });
  }

  /**
   * The engine's raid over `base`. A -17 may be a member carrying another raid's superblock: a
   * fresh clone's is cleared and the create tried once more (stale-superblock.ts), any other is
   * refused naming the members; a -17 with no such member is spdk_tgt's own answer.
   */
  private async createRaid(spec: EngineSpec, base: readonly Attached[], superblock: boolean, options?: CallOptions): Promise<void> {
    const params = { name: engineRaidName(spec.name), raid_level: 'raid1' as const, base_bdevs: base.map((m) => m.bdev!), strip_size_kb: 0, ...(superblock ? { superblock } : {}) };
    try {
      await this.ctx.spdk.raid.create(params, options);
    } catch (error) {
      if (!this.staleSuperblocks || !isRaidExists(error)) throw error;
      const cleared = await this.staleSuperblocks.clear(spec, base, options);
      if (cleared.length === 0) throw error;
      this.ctx.log.info({ engine: spec.name, cleared }, 'raid create tried again after clearing stale superblocks');
      await this.ctx.spdk.raid.create(params, options);
    }
  }

  async delete(name: string, options?: CallOptions): Promise<DeleteOutcome> {
    checkName('volume', name);
    return this.records.edit(name, async (edit) => {
      const spec = edit.current;
      // No record names its controllers: only the whole list shows leftovers (once per such delete).
      const leftovers = spec ? undefined : (await this.ctx.spdk.nvme.getControllers(undefined, options)).map((c) => c.name).filter((n) => n.startsWith(engineControllerName(name, '')));
      await this.teardown(spec ?? bareSpec(name), edit, options, leftovers);
      if (spec) this.status.changed(name, 'deleted', 'deleted');
      this.ctx.log.info({ engine: name, existed: spec !== undefined }, 'engine deleted');
      return spec ? 'deleted' : 'already-absent';
    });
  }

  /**
   * Takes a replica out: out of the raid first, then its controller is detached, then we wait
   * until its bdev is really gone, and only then may the caller tear the replica down.
   */
  async removeReplica(name: string, replica: string, options?: CallOptions): Promise<EngineInfo> {
    checkName('volume', name);
    checkName('replica', replica);
    return this.records.edit(name, async (edit) => {
      const spec = this.spec(name);
      const member = spec.replicas.find((r) => r.name === replica);
      if (!member) {
        throw new ConductorError(
          'ENGINE_MEMBER_NOT_FOUND',
          `replica ${replica} is not a member of engine ${name} (members: ${spec.replicas.map((r) => r.name).join(', ') || 'none'}); nothing was removed`,
        );
      }
      await this.leaveRaid(spec.name, member, options);
      await edit.removeMember(replica);
      await this.releaseMemberKeys(name, replica, options);
      this.status.changed(name, 'modified', `replica ${replica} removed`);
      this.ctx.log.info({ engine: name, replica }, 'replica removed from engine; it may be torn down');
      return this.status.info(this.spec(name), options);
    });
  }

  /**
   * Checks that `replica` may join engine `name` (under the engine's lock): 'member' when it is
   * already configured in the raid (nothing to do), else 'free-slot'. A raid with no free slot and a
   * replica known at another address are refused before anything is made.
   */
  async checkJoin(name: string, replica: EngineReplicaSpec, options?: CallOptions): Promise<{ verdict: 'member' | 'free-slot'; freeSlots: number }> {
    checkName('volume', name);
    this.validateReplica(replica);
    const spec = this.spec(name);
    const known = spec.replicas.find((r) => r.name === replica.name);
    if (known && !sameMember(known, replica)) throw new ConductorError('ENGINE_MEMBER_EXISTS', `engine ${name} has a replica ${replica.name} at another address`);
    const raid = await this.status.raidByName(engineRaidName(name), options);
    if (!raid) throw new ConductorError('ENGINE_BROKEN', `engine ${name} has no raid in spdk_tgt (${engineRaidName(name)}); delete and re-create it`);
    const bdev = memberBdev(name, replica, this.ctx);
    const slot = raid.base_bdevs_list.find((b) => b.name === bdev);
    const freeSlots = raid.base_bdevs_list.filter((b) => !b.name || !b.is_configured).length;
    if (slot?.is_configured) return { verdict: 'member', freeSlots };
    if (!slot && freeSlots === 0) {
      throw new ConductorError('RAID_NO_FREE_SLOT', `engine ${name}'s raid has no free slot (${raid.num_base_bdevs} members); remove a member first`);
    }
    // A remote member's size is known once it is attached (joinRaid checks it there).
    const head = replica.kind === 'local' ? this.ctx.inventory.head(replica.name) : undefined;
    if (head) checkJoinSize(spec, replica, head.sizeBytes, raid.superblock, this.ctx);
    return { verdict: 'free-slot', freeSlots };
  }

  /**
   * Attaches a member (remote: with the budget's timeouts) and adds it to the raid: spdk_tgt then
   * rebuilds it from the others. All or nothing: a failed add detaches what it attached.
   */
  async joinRaid(spec: EngineSpec, replica: Readonly<EngineReplicaSpec>, options?: CallOptions): Promise<string> {
    const reservation = replica.kind === 'remote' ? await this.ctx.admission.admit({ kind: 'attach', what: `replica ${replica.name} of engine ${spec.name}`, controllers: 1 }, options) : undefined;
    const [attached] = await this.attachAll({ ...spec, replicas: [replica] }, options).finally(() => reservation?.release());
    if (!attached?.bdev) throw new ConductorError(attached?.code ?? 'REPLICA_UNREACHABLE', `cannot attach replica ${replica.name}: ${attached?.error ?? 'unknown'}`);
    try {
      if (replica.kind === 'remote') {
        // Whether the raid keeps a superblock is in the record (confirmCreated): no raid read again.
        const [bdev] = await this.ctx.spdk.bdev.getBdevs({ name: attached.bdev }, options);
        if (bdev) checkJoinSize(spec, replica, bdev.num_blocks * bdev.block_size, spec.superblock === true, this.ctx);
      }
    } catch (error) {
      await this.leaveRaid(spec.name, replica).catch(() => undefined);
      throw error;
    }
    try {
      await this.ctx.spdk.raid.addBaseBdev({ raid_bdev: engineRaidName(spec.name), base_bdev: attached.bdev }, options);
    } catch (error) {
      // A superblock raid re-adds a returning member of its own by itself when examine sees it
      // (transcript 17: then a manual add is refused): it joined, and spdk_tgt rebuilds it.
      if (!(error instanceof SpdkTransportError) && (await this.readdedByExamine(spec.name, attached.bdev, options))) return attached.bdev;
      await this.leaveRaid(spec.name, replica).catch(() => undefined);
      throw translate(error, `add replica ${replica.name} to engine ${spec.name}`);
    }
    return attached.bdev;
  }

  /** Whether the engine's raid already holds `bdev` (by name, or by its uuid as examine lists it). */
  private async readdedByExamine(name: string, bdev: string, options?: CallOptions): Promise<boolean> {
    const [raid, [member]] = await Promise.all([this.status.raidByName(engineRaidName(name), options), this.ctx.spdk.bdev.getBdevs({ name: bdev }, options).catch(() => [])]);
    return raid?.base_bdevs_list.some((slot) => slot.name === bdev || (member?.uuid !== undefined && slot.uuid === member.uuid)) ?? false;
  }

  /** Out of the raid, controller detached, bdev gone; each step tolerates what is already gone. */
  async leaveRaid(name: string, replica: Readonly<EngineReplicaSpec>, options?: CallOptions): Promise<void> {
    const bdev = memberBdev(name, replica, this.ctx);
    try {
      await this.ctx.spdk.raid.removeBaseBdev({ name: bdev }, options);
    } catch (error) {
      if (!isGone(this.ctx, error)) throw error;
    }
    if (replica.kind === 'remote') {
      await deleteQuietly(this.ctx, () => this.ctx.spdk.nvme.detachController({ name: engineControllerName(name, replica.name) }, options));
      await this.waitGone(bdev, options);
    }
  }

  /**
   * After keys were put back in the keyring (recovery): attached members still hold the removed
   * key objects, so their controllers re-authenticate with the new ones (bdev_nvme_set_keys). A
   * PSK is fixed at connect: such a member is named in the log, to be removed and added again.
   */
  async repointKeys(restored: ReadonlySet<string>, options?: CallOptions): Promise<string[]> {
    const repointed: string[] = [];
    for (const spec of this.records.all()) {
      for (const member of spec.replicas) {
        if (member.kind !== 'remote' || !member.keys || !Object.values(member.keys).some((n) => restored.has(n))) continue;
        if (member.keys.psk && restored.has(member.keys.psk)) {
          this.ctx.log.warn(
            { engine: spec.name, replica: member.name },
            'its TLS key was put back in the keyring; the attached controller keeps the old one until the member is removed and added again',
          );
          continue;
        }
        await deleteQuietly(this.ctx, () =>
          this.ctx.spdk.nvme.setKeys({ name: engineControllerName(spec.name, member.name), ...keyParams({ dhchapKey: member.keys?.dhchapKey, dhchapCtrlrKey: member.keys?.dhchapCtrlrKey }) }, options),
        );
        repointed.push(engineKeyUser(spec.name, member.name));
      }
    }
    return repointed;
  }

  /** A member's keys are no longer needed: it left the engine (removed, or its rebuild failed). */
  releaseMemberKeys(name: string, replica: string, options?: CallOptions): Promise<void> {
    return this.ctx.keys.release(engineKeyUser(name, replica), options);
  }

  /** The member as the engine records it: with the names of its keys, never the secrets. */
  withKeys(replica: EngineReplicaSpec, secrets: HostSecrets | undefined): EngineReplicaSpec {
    const checked = checkSecrets('replica.remote.', secrets);
    if (!checked) return replica;
    if (replica.kind !== 'remote') throw new ConductorError('INVALID_SECRET', `replica ${replica.name} is local: keys are for remote replicas`, { field: 'replica' });
    return { ...replica, keys: keyNamesOf(checked) };
  }

  /**
   * Runs `add` (a member joining) with the member's keys held; they are released again if the add
   * failed and the engine did not have the member already.
   */
  async holdingMemberKeys<T>(name: string, member: EngineReplicaSpec, secrets: HostSecrets | undefined, add: () => Promise<T>, options?: CallOptions): Promise<T> {
    if (member.kind !== 'remote' || !hasKeys(member.keys)) return add();
    const known = this.records.get(checkName('volume', name))?.replicas.some((r) => r.name === member.name) ?? false;
    await this.ctx.keys.hold(engineKeyUser(name, member.name), checkSecrets('replica.remote.', secrets), options);
    try {
      return await add();
    } catch (error) {
      const joined = this.records.get(name)?.replicas.some((r) => r.name === member.name) ?? false;
      if (!known && !joined) await this.releaseMemberKeys(name, member.name, options).catch(() => undefined);
      throw error;
    }
  }

  get(name: string, options?: CallOptions): Promise<EngineInfo> {
    return this.status.info(this.spec(checkName('volume', name)), options);
  }

  /** With `page`, only that page's engines are described. */
  list(options?: CallOptions, page?: PageRequest): Promise<EngineInfo[]> {
    const specs = this.records.all();
    return this.status.infoAll(page ? pageItems(specs, (s) => s.name, page) : specs, options);
  }

  spec(name: string): EngineSpec {
    return this.records.required(name);
  }

  /**
   * Removes everything an engine made on this node, then its record (`edit`: under its lock); each
   * step tolerates what is already gone. `controllers`: the names of its controllers when the
   * caller knows them otherwise (no record); by default its remote members' names.
   */
  async teardown(spec: EngineSpec, edit: EngineEdit, options?: CallOptions, controllers?: readonly string[]): Promise<void> {
    const nqn = volumeNqn(spec.name);
    if (spec.frontend === 'nvme-host' && this.deps.hostFrontend) await this.deps.hostFrontend.disconnect(nqn);
    await deleteQuietly(this.ctx, () => this.ctx.spdk.nvmf.deleteSubsystem({ nqn }, options));
    this.ctx.admission.subsystemsGone([nqn]);
    // The engine is gone for good: its superblock goes too, so its replicas can join another raid.
    if (spec.superblock) await this.readdTakenOut(spec, options);
    await deleteQuietly(this.ctx, () => this.ctx.spdk.raid.delete({ name: engineRaidName(spec.name), ...(spec.superblock ? { clear_sb: true } : {}) }, options));
    // Its controllers, asked for by name: the whole list is every remote member of the node, per
    // delete. A member is in the record before its controller is attached and leaves it only after
    // the detach (leaveRaid), so the record names every controller the engine has.
    const names = controllers ?? spec.replicas.filter((r) => r.kind === 'remote').map((r) => engineControllerName(spec.name, r.name));
    await Promise.all(
      (await this.status.controllersNamed(names, options)).map(async (c) => {
        await deleteQuietly(this.ctx, () => this.ctx.spdk.nvme.detachController({ name: c.name }, options));
        await this.waitGone(`${c.name}n1`, options);
      }),
    );
    // After the detaches: a key still in use would only be marked removed by spdk_tgt.
    await this.ctx.keys.releaseAll(engineKeyUser(spec.name, ''), options);
    if (spec.port) this.ctx.ports.release(spec.port);
    await edit.drop();
  }

  /**
   * Members taken out of a superblock raid (a salvage's or revert's members not rebuilt yet, a
   * removed member) keep its superblock, and clear_sb wipes only the members the raid holds:
   * spdk_tgt v26.05 would refuse them to any new raid (-17). Re-added first (its own raid's
   * superblock is accepted, bdev_raid.c), the delete clears them too. One call at a time; each
   * may fail (the member gone or unreachable): then that member keeps what it had.
   */
  private async readdTakenOut(spec: EngineSpec, options?: CallOptions): Promise<void> {
    const raidName = engineRaidName(spec.name);
    const raid = await this.status.raidByName(raidName, options).catch(() => undefined);
    if (!raid) return;
    const inRaid = new Set(raid.base_bdevs_list.filter((b) => b.is_configured || b.name !== null).flatMap((b) => [b.name, b.uuid]));
    for (const member of spec.replicas) {
      const slots = memberSlotNames(spec.name, member, this.ctx);
      if (slots.some((n) => inRaid.has(n))) continue;
      await this.ctx.spdk.raid.addBaseBdev({ raid_bdev: raidName, base_bdev: slots[0]! }, options).then(
        () => this.ctx.log.info({ engine: spec.name, replica: member.name }, 'member taken out of the raid re-added before its delete, so its superblock is cleared with the others'),
        () => undefined,
      );
    }
  }

  private validate(request: EngineCreate, secrets?: ReadonlyMap<string, HostSecrets>): EngineSpec {
    const name = checkName('volume', request.name);
    if (sizeBytesProblem(request.sizeBytes) !== undefined || request.sizeBytes % MIB !== 0) {
      throw new ConductorError('INVALID_SIZE', `size_bytes must be a positive multiple of 1 MiB, got ${request.sizeBytes}`, { field: 'size_bytes' });
    }
    if (!Array.isArray(request.replicas) || request.replicas.length < RAID1_MIN_MEMBERS) {
      throw new ConductorError('INVALID_ARGUMENT', `an engine needs at least ${RAID1_MIN_MEMBERS} replicas (raid1 in spdk_tgt cannot run on one)`, { field: 'replicas' });
    }
    const names = new Set<string>();
    for (const replica of request.replicas) {
      this.validateReplica(replica);
      if (names.has(replica.name)) throw new ConductorError('INVALID_ARGUMENT', `replica ${replica.name} is listed twice`, { field: 'replicas' });
      names.add(replica.name);
    }
    if (request.frontend !== 'nvme-host' && request.frontend !== 'export-only') {
      throw new ConductorError('INVALID_ARGUMENT', `frontend must be nvme-host or export-only, got ${String(request.frontend)}`, { field: 'frontend' });
    }
    for (const host of request.hostNqns ?? []) {
      const problem = nqnProblem(host);
      if (problem) throw new ConductorError('INVALID_NQN', problem, { field: 'host_nqns' });
    }
    if (request.frontend === 'export-only' && (request.hostNqns ?? []).length === 0) {
      throw new ConductorError('INVALID_NQN', 'an export-only engine needs the NQNs of the hosts that may connect', { field: 'host_nqns' });
    }
    if (request.timeouts) this.deps.attachParams(request.timeouts);
    for (const replica of secrets?.keys() ?? []) {
      if (!names.has(replica)) throw new ConductorError('INVALID_ARGUMENT', `keys are given for replica ${replica}, which is not a member`, { field: 'replicas' });
    }
    return {
      name,
      sizeBytes: request.sizeBytes,
      replicas: request.replicas.map((r) => this.withKeys({ ...r }, secrets?.get(r.name))),
      frontend: request.frontend,
      hostNqns: [...new Set(request.hostNqns ?? [])],
      port: 0,
      ...(request.timeouts ? { timeouts: request.timeouts } : {}),
    };
  }

  private validateReplica(replica: EngineReplicaSpec): void {
    checkName('replica', replica.name);
    if (replica.kind === 'local') return;
    if (replica.kind !== 'remote') throw new ConductorError('INVALID_ARGUMENT', `replica ${(replica as { name: string }).name}: kind must be remote or local`, { field: 'replicas' });
    const where = replicaAddressProblem(replica.address) ?? portProblem(replica.port);
    if (where) throw new ConductorError('INVALID_ADDRESS', `replica ${replica.name}: ${where}`, { field: 'replicas' });
    const problem = nqnProblem(replica.nqn);
    if (problem) throw new ConductorError('INVALID_NQN', `replica ${replica.name}: ${problem}`, { field: 'replicas' });
  }

  /** Attaches every remote replica at once (they are independent objects) and finds local ones. */
  attachAll(spec: EngineSpec, options?: CallOptions): Promise<Attached[]> {
    const timeouts = this.deps.attachParams(spec.timeouts);
    return Promise.all(
      spec.replicas.map(async (replica) => {
        if (replica.kind === 'local') {
          const head = this.ctx.inventory.head(replica.name);
          return head ? { name: replica.name, bdev: alias(head.disk, headLvolName(replica.name)), error: undefined } : { name: replica.name, bdev: undefined, error: 'no such replica on this node' };
        }
        const controller = engineControllerName(spec.name, replica.name);
        try {
          const bdevs = await this.ctx.spdk.nvme.attachController(
            {
              name: controller,
              trtype: 'tcp',
              adrfam: 'ipv4',
              traddr: replica.address,
              trsvcid: String(replica.port),
              subnqn: replica.nqn,
              hostnqn: this.deps.engineHostNqn,
              ...timeouts,
              ...keyParams(replica.keys),
            },
            options,
          );
          return { name: replica.name, bdev: bdevs[0] ?? engineMemberBdev(spec.name, replica.name), error: undefined };
        } catch (error) {
          if (existsVerdict(this.ctx, error) === 'exists') return { name: replica.name, bdev: engineMemberBdev(spec.name, replica.name), error: undefined };
          return this.attachFailure(spec.name, replica, error, options);
        }
      }),
    );
  }

  /**
   * Why an attach failed, as far as spdk_tgt lets us tell (transcript 18). With keys, -5 is the
   * target refusing them (or this host); without, it reads the same as an unreachable replica.
   * -17 means another controller holds the same path and host: spdk_tgt checked nothing, keys
   * included, so that is said rather than a verdict on the keys.
   */
  private async attachFailure(volume: string, replica: Extract<EngineReplicaSpec, { kind: 'remote' }>, error: unknown, options?: CallOptions): Promise<Attached> {
    const failed = (message: string, code?: ErrorCode): Attached => ({ name: replica.name, bdev: undefined, error: message, ...(code ? { code } : {}) });
    if (!(error instanceof SpdkRpcError)) return failed((error as Error).message);
    const keyed = hasKeys(replica.keys);
    if (error.rpcCode === EIO && keyed)
      return failed(`the target refused the attach (${error.rpcMessage}): a wrong DH-HMAC-CHAP key or PSK, keys the export does not have, or this host not allowed`, 'NVME_AUTH_FAILED');
    if (error.rpcCode === EIO) return failed(`${error.rpcMessage}: unreachable, this host not allowed, or its export requires DH-HMAC-CHAP or TLS keys this member was not given`);
    if (error.rpcCode === ENOKEY) return failed(`a key of this member is not in spdk_tgt's keyring (${error.rpcMessage}); give the member's keys again`, 'NVME_AUTH_FAILED');
    if (error.rpcCode === EEXIST) {
      // A controller of any name may hold the path: only the whole list can name it (once per
      // refused attach, not per operation).
      const controller = engineControllerName(volume, replica.name);
      const other = (await this.ctx.spdk.nvme.getControllers(undefined, options).catch(() => []))
        .filter((c) => c.ctrlrs.some((p) => p.trid.traddr === replica.address && p.trid.trsvcid === String(replica.port) && p.trid.subnqn === replica.nqn))
        .map((c) => c.name);
      if (other.includes(controller)) return { name: replica.name, bdev: engineMemberBdev(volume, replica.name), error: undefined };
      return failed(
        `controller ${other.join(', ') || '(unknown)'} is already attached to ${replica.nqn} as this host, so spdk_tgt checked nothing (keys included); detach it first`,
        'NVME_PATH_IN_USE',
      );
    }
    return failed(error.message);
  }

  /**
   * Resolves to the port the export listens on: `port` when given (an engine made again keeps
   * its recorded port), else a free one.
   */
  async export(spec: EngineSpec, options?: CallOptions, port?: number): Promise<number> {
    const nqn = volumeNqn(spec.name);
    const ids = namespaceIds('volume', spec.name);
    const nvmf = this.ctx.spdk.nvmf;
    const hosts = [...spec.hostNqns, ...(spec.frontend === 'nvme-host' && this.deps.hostFrontend ? [this.deps.hostFrontend.hostNqn] : [])];
    await nvmf.createSubsystem({ nqn, allow_any_host: false, serial_number: `SV${ids.nguid.slice(0, 18)}`, model_number: 'spdk-conductor volume', ana_reporting: false }, options);
    for (const host of new Set(hosts)) await nvmf.addHost({ nqn, host }, options);
    await nvmf.addNs({ nqn, namespace: { bdev_name: engineRaidName(spec.name), uuid: ids.uuid, nguid: ids.nguid } }, options);
    // A new engine gets the port a deleted one of its name had, when that is free.
    if (!port) return listenOnFreePort(this.ctx, nqn, options, false, this.records.keptPort(spec.name));
    this.ctx.ports.markUsed(port);
    await nvmf.addListener({ nqn, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: this.ctx.settings.exportAddress, trsvcid: String(port) } }, options);
    return port;
  }

  private async connectHost(spec: EngineSpec, info: EngineInfo): Promise<void> {
    const frontend = info.frontend!;
    await this.deps.hostFrontend!.connect({ nqn: frontend.nqn, address: frontend.address, port: frontend.port, ctrlLossTmoSec: this.deps.hostCtrlLossTmoSec(spec.timeouts) });
  }

  private waitGone(bdev: string, options?: CallOptions): Promise<void> {
    return waitBdevGone(this.ctx, bdev, this.deps.memberGoneTimeoutMs, options);
  }
}

/** What teardown needs of an engine known only by name (its spec is gone or never written). */
export function bareSpec(name: string): EngineSpec {
  return { name, sizeBytes: 0, replicas: [], frontend: 'export-only', hostNqns: [], port: 0 };
}

/** The same member at the same address (the API address may be added or changed). */
function sameMember(a: EngineReplicaSpec, b: EngineReplicaSpec): boolean {
  const strip = (m: EngineReplicaSpec): unknown => (m.kind === 'remote' ? { ...m, apiAddress: undefined } : m);
  return JSON.stringify(strip(a)) === JSON.stringify(strip(b));
}

function sameSpec(a: EngineSpec, b: EngineSpec): boolean {
  // Only what a create asks for: everything else in the record (the port it was given, QoS, the
  // salvage its create chose, rebuilds, volume snapshots, members seen out, an expansion or revert
  // in flight) is the engine's state since its create, so the same create again still finds it.
  const asked = (s: EngineSpec): unknown => [s.name, s.sizeBytes, s.replicas, s.frontend, s.hostNqns, s.timeouts ?? null];
  return JSON.stringify(asked(a)) === JSON.stringify(asked(b));
}
