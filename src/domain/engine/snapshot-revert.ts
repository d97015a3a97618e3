/**
 * Volume snapshot revert (EngineSnapshotRevert): the volume goes back to a volume snapshot.
 *
 * A volume snapshot taken under writes is `unverified` (volume-snapshots.ts): its members'
 * snapshots may differ, so only one member, the source, is reverted, and the others are rebuilt
 * from it by the rebuild machinery, never trusted. Reverting a member replaces its head lvol,
 * which the raid holds and (a remote member) an export serves, so the engine is taken down
 * first: export, raid, remote controllers. Then the source is reverted (here, or by its node,
 * whose export then has no host), the raid made again over the source alone (raid1 starts only
 * with two members: it is made over every member and the others are taken out before anything
 * reads or writes it), the export made again at the same NQN, serial and port, so hosts reconnect
 * to the same target, and the other members' rebuilds queued.
 *
 * Superblock engines: the reverted head carries the raid superblock as it was when the snapshot
 * was taken. spdk_tgt v26.05 refuses any new member carrying another raid's superblock (-17,
 * bdev_raid.c raid_bdev_configure_base_bdev_check_sb_cb) and assembles a raid by examine only
 * over a bdev whose uuid that superblock lists (raid_bdev_examine_sb). A remote member's bdev
 * here has the uuid its export gives it, derived from the replica's name, so the superblock lists
 * it: examine assembles a configuring raid over the reverted source when it is attached again,
 * and deleting that raid with clear_sb wipes the stale superblock. A local member's head gets a
 * new lvol uuid from the revert, which no superblock lists: its first cluster is zeroed before the
 * raid is made again (backup/zero-cluster.ts, deps.zeroFirstCluster). That cluster lies inside the
 * superblock region, since the raid computed this member's data offset from the lvol itself: 1 MiB
 * rounded up to its optimal I/O boundary, the lvol's cluster (bdev_raid.c, vbdev_lvol.c). Without
 * zeroFirstCluster a superblock engine reverts from a remote member only
 * (docs/volume-operations.md).
 *
 * The record carries the intent and each step done (`reverting`, phases in state-file.ts): a
 * crash or failure at any step is resumed by the same call again, at start, after a reconcile, and
 * by the engine monitor's pass once its wait is over (node/resume-pacing.ts).
 * No lock is held across a step (a peer call may hang); one revert per engine runs at a time.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { EngineInfo, EngineReplicaSpec } from '../model.js';
import { checkName, engineControllerName, engineRaidName, volumeNqn } from '../node/naming.js';
import { deleteQuietly, isGone } from '../node/spdk-verdicts.js';
import type { EngineSpec, RevertRecord } from '../node/state-file.js';
import type { PeerDirectory, PeerNode } from '../peers.js';
import type { EngineRecords } from './engine-records.js';
import type { EngineStatus } from './engine-status.js';
import type { Engines } from './engines.js';
import { memberBdev, waitBdevGone } from './members.js';
import { ResumePacing, resumeEach, type Unfinished } from '../node/resume-pacing.js';

/** A host that just disconnected may be listed by the target a moment longer. */
const DISCONNECT_GRACE_MS = 1_000;
const DISCONNECT_POLL_MS = 50;

export interface RevertDeps {
  peers: PeerDirectory;
  /** This node as a peer: a local member's snapshots and revert. */
  self: PeerNode;
  /** EngineReplicaAdd's rebuild: queues the member's rebuild from the members in the raid. */
  queueRebuild(engine: string, member: EngineReplicaSpec, options?: CallOptions): Promise<unknown>;
  /** The raid was made again: its QoS limits go back on it. */
  reapplyQos(spec: EngineSpec, options?: CallOptions): Promise<unknown>;
  memberGoneTimeoutMs: number;
  /** Zeroes cluster 0 of a local replica's head (SpdkDataPath.zeroFirstCluster): a superblock engine may then revert from a local member. */
  zeroFirstCluster?: (replica: string, disk: string, options?: CallOptions) => Promise<number>;
}

export interface RevertRequest {
  engine: string;
  snapshot: string;
  /** The member to revert; default: a member in sync holding the snapshot, local before remote (superblock engines without zeroFirstCluster: remote only). */
  source?: string;
}

export class EngineSnapshotRevert {
  private readonly running = new Map<string, { snapshot: string; done: Promise<EngineInfo> }>();
  private readonly pacing = new ResumePacing();

  constructor(
    private readonly ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'locks' | 'log'>,
    private readonly records: EngineRecords,
    private readonly status: EngineStatus,
    private readonly engines: Engines,
    private readonly deps: RevertDeps,
  ) {}

  revert(request: RevertRequest, options?: CallOptions): Promise<EngineInfo> {
    const name = checkName('volume', request.engine);
    const snapshot = checkName('snapshot', request.snapshot);
    if (request.source !== undefined && request.source !== '') checkName('replica', request.source);
    const running = this.running.get(name);
    if (running) {
      if (running.snapshot === snapshot) return running.done;
      throw notRevertible(`engine ${name} is being reverted to snapshot ${running.snapshot}; wait for it to end`);
    }
    const spec = this.records.required(name);
    if (spec.reverting) {
      if (spec.reverting.snapshot !== snapshot) {
        throw notRevertible(`engine ${name} has an unfinished revert to snapshot ${spec.reverting.snapshot}; EngineSnapshotRevert with that snapshot completes it first`);
      }
      return this.track(name, snapshot, () => this.run(name, options));
    }
    return this.track(name, snapshot, async () => {
      const record = await this.check(spec, snapshot, request.source || undefined, options);
      await this.records.editExisting(name, 'reverted', (e) => e.setRevert(record));
      this.ctx.log.info({ engine: name, snapshot, source: record.source }, 'engine revert started: the volume goes down, the source is reverted, the others are rebuilt from it');
      this.status.changed(name, 'modified', `reverting to snapshot ${snapshot} from ${record.source}`);
      return this.run(name, options);
    });
  }

  /**
   * Finishes every revert the records hold unfinished (after a restart or a reconcile; `paced`:
   * the engine monitor's pass, which tries again those whose wait is over); never throws.
   */
  async resumeAll(options?: CallOptions, paced = false): Promise<void> {
    const unfinished: Unfinished[] = [];
    for (const spec of this.records.all()) {
      if (spec.reverting && !spec.creating && !this.running.has(spec.name)) unfinished.push({ name: spec.name, detail: { ...spec.reverting } });
    }
    await resumeEach(this.ctx.log, this.pacing, { kind: 'engine', what: 'revert', orOperator: 'EngineSnapshotRevert with the same snapshot' }, unfinished, paced, (engine) => {
      // A revert started by a call since the list was made is that call's.
      const record = this.records.get(engine)?.reverting;
      if (!record || this.running.has(engine)) return Promise.resolve();
      return this.track(engine, record.snapshot, () => this.run(engine, options));
    });
  }

  private track(name: string, snapshot: string, work: () => Promise<EngineInfo>): Promise<EngineInfo> {
    const done = work().finally(() => this.running.delete(name));
    this.running.set(name, { snapshot, done });
    return done;
  }

  /** Every refusal before the intent is recorded: nothing has changed when one is thrown. */
  private async check(spec: EngineSpec, snapshot: string, named: string | undefined, options?: CallOptions): Promise<RevertRecord> {
    const volumeSnapshot = spec.volumeSnapshots && Object.hasOwn(spec.volumeSnapshots, snapshot) ? spec.volumeSnapshots[snapshot] : undefined;
    if (!volumeSnapshot) throw new ConductorError('VOLUME_SNAPSHOT_NOT_FOUND', `engine ${spec.name} has no volume snapshot ${snapshot}`);
    if (volumeSnapshot.state !== 'ready') throw notRevertible(`volume snapshot ${snapshot} of ${spec.name} is ${volumeSnapshot.state}; finish that first`);
    if (spec.expanding) throw notRevertible(`engine ${spec.name} has an unfinished expansion to ${spec.expanding.sizeBytes} bytes; finish it first`);
    const info = await this.status.info(spec, options);
    if (info.rebuild || info.rebuilds.length > 0) throw notRevertible(`engine ${spec.name} has a rebuild queued or running; wait for it to end`);
    if (info.state !== 'healthy') throw notRevertible(`engine ${spec.name} is ${info.state} (${info.reason}); repair it or replace the member first`);
    const hosts = await this.connectedHosts(spec.name, options);
    if (hosts.length > 0) {
      throw new ConductorError(
        'ENGINE_HOSTS_CONNECTED',
        `host${hosts.length > 1 ? 's' : ''} ${hosts.join(', ')} ${hosts.length > 1 ? 'are' : 'is'} connected to engine ${spec.name}'s export; a revert changes the data under them: disconnect them first`,
        { hosts },
      );
    }
    const source = await this.chooseSource(spec, snapshot, named, options);
    return { snapshot, source: source.name, startedAtMs: Date.now(), phase: 'recorded' };
  }

  /** The caller's, or the first member in record order, local ones first, that is in sync and holds the snapshot. */
  private async chooseSource(spec: EngineSpec, snapshot: string, named: string | undefined, options?: CallOptions): Promise<EngineReplicaSpec> {
    const sbRule =
      "on a superblock engine a local member cannot be the source here: its reverted head carries the raid superblock of the snapshot's time under a new lvol uuid, which spdk_tgt refuses in a new raid (-17), and this node cannot zero it";
    // A local source's stale superblock is cleared by zeroing its first cluster (raidOverSource).
    const localSourceOk = !spec.superblock || this.deps.zeroFirstCluster !== undefined;
    if (named !== undefined) {
      const member = spec.replicas.find((r) => r.name === named);
      if (!member) throw new ConductorError('ENGINE_MEMBER_NOT_FOUND', `replica ${named} is not a member of engine ${spec.name} (members: ${spec.replicas.map((r) => r.name).join(', ')})`);
      if (!localSourceOk && member.kind === 'local') throw notRevertible(`${sbRule}; name a remote member as the source`);
      if (!(await this.holds(spec, member, snapshot, options))) throw notRevertible(`member ${named} of ${spec.name} has no snapshot ${snapshot}; name a member that has it`);
      return member;
    }
    const candidates = [...spec.replicas.filter((r) => r.kind === 'local'), ...spec.replicas.filter((r) => r.kind === 'remote')].filter((r) => localSourceOk || r.kind === 'remote');
    for (const member of candidates) {
      if (await this.holds(spec, member, snapshot, options).catch(() => false)) return member;
    }
    const why = !localSourceOk && spec.replicas.some((r) => r.kind === 'local') ? ` (${sbRule})` : '';
    throw notRevertible(`no member of ${spec.name} that can be the source holds snapshot ${snapshot}${why}`);
  }

  private async holds(spec: EngineSpec, member: EngineReplicaSpec, snapshot: string, options?: CallOptions): Promise<boolean> {
    const snapshots = await this.peerOf(spec.name, member).snapshotList(member.name, options);
    return snapshots.some((s) => s.name === snapshot);
  }

  private async connectedHosts(name: string, options?: CallOptions): Promise<string[]> {
    const deadline = Date.now() + DISCONNECT_GRACE_MS;
    for (;;) {
      const controllers = await this.ctx.spdk.nvmf.getControllers({ nqn: volumeNqn(name) }, options).catch((error: unknown) => {
        // No subsystem (an engine whose export is gone): nobody is connected.
        if (isGone(this.ctx, error)) return [];
        throw error;
      });
      if (controllers.length === 0 || Date.now() >= deadline) return [...new Set(controllers.map((c) => c.hostnqn))].sort();
      await sleep(DISCONNECT_POLL_MS);
    }
  }

  /** From the recorded phase on; each step is safe to repeat (a crash may have cut it short). */
  private async run(name: string, options?: CallOptions): Promise<EngineInfo> {
    const started = Date.now();
    for (;;) {
      const spec = this.records.required(name);
      const record = spec.reverting;
      if (!record) break;
      const source = spec.replicas.find((r) => r.name === record.source);
      if (!source) throw notRevertible(`the revert's source ${record.source} is no longer a member of ${name}`);
      switch (record.phase) {
        case 'recorded':
          await this.takeDown(spec, options);
          await this.step(name, record, 'down', 'export, raid and remote controllers down');
          break;
        case 'down':
          await this.revertSource(spec, source, record.snapshot, options);
          await this.step(name, record, 'reverted', `${source.name} reverted to ${record.snapshot}`);
          break;
        case 'reverted':
          await this.raidOverSource(spec, source, options);
          await this.deps.reapplyQos(spec, options);
          await this.step(name, record, 'raid', `raid made again over ${source.name}`);
          break;
        case 'raid':
          await deleteQuietly(this.ctx, () => this.ctx.spdk.nvmf.deleteSubsystem({ nqn: volumeNqn(name) }, options));
          await this.engines.export(spec, options, spec.port);
          await this.step(name, record, 'exported', `exported again at port ${spec.port}`);
          break;
        case 'exported': {
          // Each other member is rebuilt from the source, whatever its own snapshot holds.
          for (const member of spec.replicas.filter((r) => r.name !== source.name)) await this.deps.queueRebuild(name, member, options);
          await this.records.editExisting(name, 'reverted', (e) => e.setRevert(undefined));
          this.ctx.log.info(
            { engine: name, snapshot: record.snapshot, source: source.name, ms: Date.now() - started },
            'engine reverted: exported again, the other members are being rebuilt from the source',
          );
          this.status.changed(name, 'modified', `reverted to snapshot ${record.snapshot}; members rebuilding from ${source.name}`);
          break;
        }
      }
    }
    return this.status.info(this.records.required(name), options);
  }

  private async step(name: string, record: Readonly<RevertRecord>, phase: RevertRecord['phase'], what: string): Promise<void> {
    await this.records.editExisting(name, 'reverted', (e) => e.setRevert({ ...record, phase }));
    this.ctx.log.info({ engine: name, snapshot: record.snapshot, phase }, `engine revert: ${what}`);
    this.status.changed(name, 'modified', `reverting to snapshot ${record.snapshot}: ${what}`);
  }

  /**
   * The export first (its hosts are none: checked), then the raid (a superblock engine's with
   * clear_sb, so no member carries it into the new raid or an examine), then the remote members'
   * controllers: a remote source's export must have no host for its node to revert it.
   */
  private async takeDown(spec: EngineSpec, options?: CallOptions): Promise<void> {
    await deleteQuietly(this.ctx, () => this.ctx.spdk.nvmf.deleteSubsystem({ nqn: volumeNqn(spec.name) }, options));
    await deleteQuietly(this.ctx, () => this.ctx.spdk.raid.delete({ name: engineRaidName(spec.name), ...(spec.superblock ? { clear_sb: true } : {}) }, options));
    await Promise.all(
      spec.replicas
        .filter((r) => r.kind === 'remote')
        .map(async (r) => {
          await deleteQuietly(this.ctx, () => this.ctx.spdk.nvme.detachController({ name: engineControllerName(spec.name, r.name) }, options));
          await waitBdevGone(this.ctx, memberBdev(spec.name, r, this.ctx), this.deps.memberGoneTimeoutMs, options);
        }),
    );
  }

  private async revertSource(spec: EngineSpec, source: EngineReplicaSpec, snapshot: string, options?: CallOptions): Promise<void> {
    // The local member is the engine's, whose raid is down: forced past its membership.
    await this.peerOf(spec.name, source).snapshotRevert(source.name, snapshot, options, source.kind === 'local');
  }

  /**
   * The raid over the source alone: made over every member (raid1 needs two to start), the
   * others taken out at once, before the export exists. A raid already there is an earlier
   * attempt's or one examine assembled from the source's stale superblock: deleted first, with
   * clear_sb on superblock engines (that wipes the stale superblock from the source).
   */
  private async raidOverSource(spec: EngineSpec, source: EngineReplicaSpec, options?: CallOptions): Promise<void> {
    const attached = await this.engines.attachAll(spec, options);
    const missing = attached.filter((a) => a.bdev === undefined);
    if (missing.length > 0) {
      throw new ConductorError(
        'REPLICA_UNREACHABLE',
        `engine ${spec.name}'s revert cannot make its raid again: ${missing.map((m) => `${m.name}: ${m.error}`).join('; ')}; the revert stays recorded, retry it`,
      );
    }
    await this.ctx.spdk.bdev.waitForExamine(options);
    const raidName = engineRaidName(spec.name);
    // A configuring raid is no bdev yet: raidByName lists the raids when the name finds none.
    const assembled = await this.status.raidByName(raidName, options);
    if (assembled) {
      this.ctx.log.info({ engine: spec.name }, 'a raid of the engine is already there (an earlier attempt, or examine over a stale superblock): deleted before the raid is made again');
      await deleteQuietly(this.ctx, () => this.ctx.spdk.raid.delete({ name: raidName, ...(spec.superblock ? { clear_sb: true } : {}) }, options));
    }
    if (spec.superblock && source.kind === 'local') await this.clearLocalSource(spec, source, options);
    const bdevOf = (r: EngineReplicaSpec) => memberBdev(spec.name, r, this.ctx);
    const others = spec.replicas.filter((r) => r.name !== source.name);
    await this.ctx.spdk.raid.create(
      { name: raidName, raid_level: 'raid1', base_bdevs: [bdevOf(source), ...others.map(bdevOf)], strip_size_kb: 0, ...(spec.superblock ? { superblock: true } : {}) },
      options,
    );
    for (const member of others) await this.ctx.spdk.raid.removeBaseBdev({ name: bdevOf(member) }, options);
  }

  /**
   * A local source's reverted head carries the superblock of the engine's raid as it was at the
   * snapshot, under a uuid the new raid will not have: its first cluster, inside the superblock
   * region of this very lvol, is zeroed (again, harmlessly, when a crash repeats the step).
   */
  private async clearLocalSource(spec: EngineSpec, source: EngineReplicaSpec, options?: CallOptions): Promise<void> {
    const zero = this.deps.zeroFirstCluster;
    if (!zero) throw notRevertible(`engine ${spec.name}: the local source ${source.name} carries a stale raid superblock that this node cannot zero`);
    await this.ctx.locks.with(`replica:${source.name}`, async () => {
      const head = this.ctx.inventory.head(source.name);
      if (!head) throw new ConductorError('REPLICA_NOT_FOUND', `the revert's source ${source.name} of ${spec.name} is not on this node`);
      await zero(source.name, head.disk, options);
    });
    this.ctx.log.info({ engine: spec.name, replica: source.name }, "revert: the local source's stale raid superblock cleared (its first cluster zeroed) before the raid is made again");
  }

  private peerOf(engine: string, member: EngineReplicaSpec): PeerNode {
    if (member.kind === 'local') return this.deps.self;
    if (!member.apiAddress) {
      throw new ConductorError('MEMBER_NOT_REACHABLE_BY_API', `member ${member.name} of ${engine} has no api_address: its node cannot be asked to revert it; nothing was changed`);
    }
    return this.deps.peers.peer(member.apiAddress);
  }
}

function notRevertible(message: string): ConductorError {
  return new ConductorError('ENGINE_NOT_REVERTIBLE', message);
}
