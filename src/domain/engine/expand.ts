/**
 * Online expansion of a volume (EngineExpand). spdk_tgt v26.05 has no raid resize RPC, but a
 * raid1 follows its smallest member by itself, and a remote lvol's growth reaches this node's NVMe
 * bdev through the namespace notice within milliseconds (transcript 21); the export and its hosts
 * follow the raid. So an expansion grows every member (a local one with bdev_lvol_resize, a
 * remote one through its node's ReplicaExpand) and then waits for the raid to report the size.
 *
 * Lvols cannot shrink back under a raid (-32602 "Device or resource busy"), so "all or nothing"
 * means: every member is checked first (size rules, free space, reachability) and nothing changes
 * when one fails; then the intent (the size asked for) is recorded before any member grows, and
 * each grown member is recorded as it is done. A failure or crash at any step leaves the record
 * saying what is done; EngineExpand with the same size, or the node itself after a restart or
 * reconcile (`resumeAll`), or the engine monitor's pass once its wait is over (node/resume-pacing.ts),
 * completes it. The engine's size changes in the record only once the
 * raid has it.
 *
 * No lock is held across a member's growth (a peer call may hang): the record's edits are short
 * sections under the engine's lock, and one expansion per engine runs at a time in this process.
 */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { EngineInfo, EngineReplicaSpec, ReplicaInfo } from '../model.js';
import { checkName, engineRaidName } from '../node/naming.js';
import { isGone } from '../node/spdk-verdicts.js';
import type { EngineSpec, ExpansionRecord } from '../node/state-file.js';
import type { PeerDirectory } from '../peers.js';
import type { EngineRecords } from './engine-records.js';
import type { EngineStatus } from './engine-status.js';
import { memberBdev } from './members.js';
import { ResumePacing, resumeEach, type Unfinished } from '../node/resume-pacing.js';

const MIB = 1024 * 1024;
/**
 * A superblock engine's members carry the volume plus the raid's data offset; the size rule
 * (docs/architecture.md, "Engines across restarts") gives every member 4 MiB beyond the volume,
 * which covers lvstores with clusters up to 4 MiB and keeps a member a whole number of clusters.
 */
const SUPERBLOCK_HEADROOM = 4 * MIB;
const SETTLE_POLL_MS = 20;

/** Grows a local replica (`checkOnly`: only its checks), as ReplicaExpand with force does. */
export type LocalExpand = (name: string, sizeBytes: number, options: CallOptions | undefined, force: boolean, checkOnly: boolean) => Promise<ReplicaInfo>;

export interface ExpansionDeps {
  localExpand: LocalExpand;
  peers: PeerDirectory;
  /** How long the raid may take to report the new size once every member grew. */
  settleTimeoutMs: number;
}

export class EngineExpansion {
  private readonly running = new Map<string, { sizeBytes: number; done: Promise<EngineInfo> }>();
  private readonly pacing = new ResumePacing();

  constructor(
    private readonly ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'log'>,
    private readonly records: EngineRecords,
    private readonly status: EngineStatus,
    private readonly deps: ExpansionDeps,
  ) {}

  /** Grows engine `name` to `sizeBytes`; the same size again is a no-op success. */
  expand(name: string, sizeBytes: number, options?: CallOptions): Promise<EngineInfo> {
    checkName('volume', name);
    if (!Number.isSafeInteger(sizeBytes) || sizeBytes <= 0 || sizeBytes % MIB !== 0) {
      throw new ConductorError('INVALID_SIZE', `size_bytes must be a positive multiple of 1 MiB, got ${sizeBytes}`, { field: 'size_bytes' });
    }
    const running = this.running.get(name);
    if (running) {
      if (running.sizeBytes === sizeBytes) return running.done;
      throw notExpandable(`engine ${name} is being expanded to ${running.sizeBytes} bytes; wait for it, then expand again`);
    }
    const spec = this.records.required(name);
    if (spec.expanding && spec.expanding.sizeBytes !== sizeBytes) {
      throw notExpandable(`engine ${name} has an unfinished expansion to ${spec.expanding.sizeBytes} bytes; EngineExpand with that size completes it first`);
    }
    if (!spec.expanding) {
      if (sizeBytes < spec.sizeBytes)
        throw new ConductorError('INVALID_SIZE', `engine ${name} is ${spec.sizeBytes} bytes; shrinking to ${sizeBytes} is refused (lvols under a raid cannot shrink)`, { field: 'size_bytes' });
      if (sizeBytes === spec.sizeBytes) return this.status.info(spec, options);
    }
    return this.track(name, sizeBytes, () => this.run(name, sizeBytes, options));
  }

  /**
   * Finishes every expansion the records hold unfinished (after a restart or a reconcile;
   * `paced`: the engine monitor's pass, which tries again those whose wait is over); never throws.
   */
  async resumeAll(options?: CallOptions, paced = false): Promise<void> {
    const unfinished: Unfinished[] = [];
    for (const spec of this.records.all()) {
      const expanding = spec.expanding;
      if (expanding && !spec.creating && !this.running.has(spec.name)) unfinished.push({ name: spec.name, detail: { sizeBytes: expanding.sizeBytes, grown: Object.keys(expanding.grown) } });
    }
    await resumeEach(this.ctx.log, this.pacing, { kind: 'engine', what: 'expansion', orOperator: 'EngineExpand with the same size' }, unfinished, paced, (engine) => {
      // An expansion started by a call since the list was made is that call's.
      const record = this.records.get(engine)?.expanding;
      if (!record || this.running.has(engine)) return Promise.resolve();
      return this.track(engine, record.sizeBytes, () => this.run(engine, record.sizeBytes, options));
    });
  }

  private track(name: string, sizeBytes: number, work: () => Promise<EngineInfo>): Promise<EngineInfo> {
    const done = work().finally(() => this.running.delete(name));
    this.running.set(name, { sizeBytes, done });
    return done;
  }

  private async run(name: string, sizeBytes: number, options?: CallOptions): Promise<EngineInfo> {
    const started = Date.now();
    let spec = this.records.required(name);
    const targets = await this.memberTargets(spec, sizeBytes, options);
    const grown = { ...(spec.expanding?.grown ?? {}) };
    const pending = targets.filter((t) => grown[t.member.name] === undefined);
    if (!spec.expanding) {
      // Checked before the intent: a refusal (space, size, reachability, health) changes nothing.
      await this.checkHealthy(spec, options);
      await Promise.all(pending.map((t) => this.grow(spec.name, t.member, t.bytes, options, true)));
      await this.records.editExisting(name, 'expanded', (e) => e.recordExpansion({ sizeBytes, startedAtMs: started, grown: {} }));
      this.ctx.log.info({ engine: name, from: spec.sizeBytes, to: sizeBytes, members: targets.map((t) => `${t.member.name}:${t.bytes}`) }, 'engine expansion started');
    }
    for (const target of pending) {
      await this.grow(spec.name, target.member, target.bytes, options, false);
      grown[target.member.name] = target.bytes;
      const record: ExpansionRecord = { sizeBytes, startedAtMs: spec.expanding?.startedAtMs ?? started, grown: { ...grown } };
      await this.records.editExisting(name, 'expanded', (e) => e.recordExpansion(record));
      this.ctx.log.info({ engine: name, replica: target.member.name, sizeBytes: target.bytes }, 'engine member grown');
    }
    await this.settle(name, sizeBytes, options);
    await this.records.editExisting(name, 'expanded', (e) => e.finishExpansion());
    spec = this.records.required(name);
    this.ctx.log.info({ engine: name, sizeBytes, ms: Date.now() - started }, 'engine expanded: the raid and its export have the new size');
    this.status.changed(name, 'modified', `expanded to ${sizeBytes} bytes`);
    return this.status.info(spec, options);
  }

  /** Each member and the size it must have: the volume plus its headroom, never less than it has. */
  private async memberTargets(spec: EngineSpec, sizeBytes: number, options?: CallOptions): Promise<Array<{ member: Readonly<EngineReplicaSpec>; bytes: number }>> {
    const headroom = spec.superblock ? SUPERBLOCK_HEADROOM : 0;
    return Promise.all(
      spec.replicas.map(async (member) => {
        const current = await this.memberBytes(spec.name, member, options);
        return { member, bytes: Math.max(current, sizeBytes + headroom) };
      }),
    );
  }

  /** The member's size as this node sees it (a remote one: its NVMe bdev here). */
  private async memberBytes(volume: string, member: Readonly<EngineReplicaSpec>, options?: CallOptions): Promise<number> {
    if (member.kind === 'local') return this.ctx.inventory.head(member.name)?.sizeBytes ?? 0;
    try {
      const [bdev] = await this.ctx.spdk.bdev.getBdevs({ name: memberBdev(volume, member, this.ctx) }, options);
      return bdev ? bdev.num_blocks * bdev.block_size : 0;
    } catch (error) {
      if (isGone(this.ctx, error)) return 0;
      throw error;
    }
  }

  private async checkHealthy(spec: EngineSpec, options?: CallOptions): Promise<void> {
    const info = await this.status.info(spec, options);
    if (info.state !== 'healthy') throw notExpandable(`engine ${spec.name} is ${info.state} (${info.reason}); repair it or replace the member first`);
    if (info.rebuild || info.rebuilds.length > 0) throw notExpandable(`engine ${spec.name} has a rebuild queued or running; wait for it to end`);
  }

  /** One member to `bytes` (or only its checks): local through this node, remote through its node's API. */
  private async grow(volume: string, member: Readonly<EngineReplicaSpec>, bytes: number, options: CallOptions | undefined, checkOnly: boolean): Promise<void> {
    if (member.kind === 'local') {
      await this.deps.localExpand(member.name, bytes, options, true, checkOnly);
      return;
    }
    if (!member.apiAddress) {
      if ((await this.memberBytes(volume, member, options)) >= bytes) return;
      throw notExpandable(
        `remote member ${member.name} of engine ${volume} has no api_address, so this node cannot grow it: expand it on its node (ReplicaExpand to ${bytes} bytes, force) and retry, or add it again with its api_address`,
      );
    }
    const peer = this.deps.peers.peer(member.apiAddress);
    await peer.replicaExpand(member.name, bytes, options, true, checkOnly);
  }

  /** Waits until spdk_tgt reports the raid at `sizeBytes` or more (the members' notices arrive within ms). */
  private async settle(name: string, sizeBytes: number, options?: CallOptions): Promise<void> {
    const deadline = Date.now() + this.deps.settleTimeoutMs;
    for (;;) {
      const [raid] = await this.ctx.spdk.bdev.getBdevs({ name: engineRaidName(name) }, options);
      const bytes = raid ? raid.num_blocks * raid.block_size : 0;
      if (bytes >= sizeBytes) return;
      if (Date.now() > deadline) {
        throw new ConductorError(
          'ENGINE_EXPAND_INCOMPLETE',
          `engine ${name}'s members grew but its raid reports ${bytes} bytes, not ${sizeBytes}, after ${this.deps.settleTimeoutMs} ms; the expansion stays recorded: EngineExpand with ${sizeBytes} retries it`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    }
  }
}

function notExpandable(message: string): ConductorError {
  return new ConductorError('ENGINE_NOT_EXPANDABLE', message);
}
