/**
 * The engines' records (what each engine was asked to be, and which of its members are being
 * rebuilt), kept in the state file, and the only code that changes them.
 *
 * Every change is an intent (record a create, confirm it, add a member with its rebuild queued, set
 * a rebuild's phase, drop a rebuild, remove a member, drop the engine) that makes the next version
 * of the record and writes it in one step: it resolves once that version is on disk. When the
 * write fails it throws and the record is what it was before, in memory as on disk.
 *
 * Every change runs under the engine's lock (engine:NAME). Some callers must check and change in
 * one critical section: an add counts the raid's free slots and records the member, a create makes
 * spdk_tgt objects between its two writes, a removal takes the member out of the raid and then out
 * of the record. So `edit` takes the lock for the caller's whole section and hands it an editor
 * whose intents work only while that section runs; a lone change is one short section
 * (`edit(name, (e) => e.dropRebuild(replica))`). The locks are not re-entrant: code inside a
 * section changes the engine through the editor it was given, never through `edit` again.
 *
 * Records are frozen and each change makes a new one: readers get the stored object, cannot
 * change it by accident, and what they hold stays as it was when they read it.
 */
import { frozenRecord } from '../node/state-serialize.js';
import { ConductorError } from '../../errors.js';
import type { EngineReplicaSpec, QosLimits, SalvageInfo } from '../model.js';
import type { ObjectLocks } from '../node/locks.js';
import type { EngineSpec, ExpansionRecord, RebuildRecord, RebuildView, RevertRecord, StateFile, VolumeSnapshotRecord } from '../node/state-file.js';

export class EngineRecords {
  private readonly members = new LocalMembers();

  constructor(
    private readonly state: StateFile,
    private readonly locks: ObjectLocks,
  ) {
    for (const spec of state.engines()) {
      frozenRecord(spec);
      this.members.set(spec.name, spec);
    }
  }

  get(name: string): EngineSpec | undefined {
    return this.state.engine(name);
  }

  /** The engine's record, or ENGINE_NOT_FOUND. */
  required(name: string): EngineSpec {
    const spec = this.get(name);
    if (!spec) throw new ConductorError('ENGINE_NOT_FOUND', `engine ${name} does not exist on this node`);
    return spec;
  }

  all(): EngineSpec[] {
    return this.state.engines();
  }

  /**
   * The engines that have `replica` as a local member, in the order all() lists them: a lookup,
   * not a pass over every engine (replica deletes, exposes and engine creates ask on every call).
   */
  localEnginesOf(replica: string): string[] {
    const engines = this.members.enginesOf(replica);
    if (engines.length < 2) return engines;
    // A replica in two engines is a broken node: the records' order, as a pass over them gave it.
    const of = new Set(engines);
    return this.all()
      .filter((spec) => of.has(spec.name))
      .map((spec) => spec.name);
  }

  /** The port a deleted engine of this name had (see EngineEdit.drop), for its next create. */
  keptPort(name: string): number | undefined {
    return this.state.keptPort(keptEngineKey(name));
  }

  /**
   * A short section of a long operation (`doing`: "expanded", "reverted") under the engine's lock;
   * ENGINE_NOT_FOUND when the engine was deleted meanwhile.
   */
  editExisting(name: string, doing: string, change: (edit: EngineEdit) => Promise<void>): Promise<void> {
    return this.edit(name, async (edit) => {
      if (!edit.current) throw new ConductorError('ENGINE_NOT_FOUND', `engine ${name} was deleted while it was being ${doing}`);
      await change(edit);
    });
  }

  /** Runs `work` holding the engine's lock, with an editor for its record. */
  edit<T>(name: string, work: (edit: EngineEdit) => Promise<T>): Promise<T> {
    return this.locks.with(`engine:${name}`, async () => {
      const edit = new EngineEdit(name, this.state, this.members);
      try {
        return await work(edit);
      } finally {
        edit.close();
      }
    });
  }
}

/** The changes to one engine's record, valid while its lock is held. */
export class EngineEdit {
  private open = true;

  constructor(
    readonly name: string,
    private readonly state: StateFile,
    private readonly members: LocalMembers,
  ) {}

  /** The record now; nobody else changes it while this edit is open. */
  get current(): EngineSpec | undefined {
    return this.state.engine(this.name);
  }

  /** Recorded before anything is made, marked creating: recovery rolls back a create that died. */
  async create(spec: EngineSpec): Promise<void> {
    await this.put({ ...spec, creating: true });
  }

  /**
   * The create returned: its export's port, whether its raid has a superblock and the salvage it
   * made (the source chosen over members that held data) are recorded, and the creating mark goes.
   */
  async confirmCreated(port: number, superblock = false, salvage?: SalvageInfo): Promise<void> {
    const { creating: _creating, ...record } = this.require();
    this.state.keepPort(keptEngineKey(this.name), undefined);
    await this.put({ ...record, port, ...(superblock ? { superblock } : {}), ...(salvage ? { salvage } : {}) });
  }

  /** A member joins (or, known at a new API address, is replaced) with its rebuild queued. */
  async addMember(replica: Readonly<EngineReplicaSpec>, createdAtMs: number): Promise<void> {
    const record = this.require();
    const replicas = record.replicas.some((r) => r.name === replica.name) ? record.replicas.map((r) => (r.name === replica.name ? { ...replica } : r)) : [...record.replicas, { ...replica }];
    await this.put(withoutOut({ ...record, replicas, rebuilding: { ...record.rebuilding, [replica.name]: { createdAtMs, phase: 'queued' } } }, replica.name));
  }

  /** Nothing to do when the member has no rebuild record (it ended meanwhile). */
  async setRebuildPhase(replica: string, phase: RebuildRecord['phase']): Promise<void> {
    const record = this.current;
    const rebuild = rebuildOf(record, replica);
    if (!record || !rebuild) return;
    await this.put({ ...record, rebuilding: { ...record.rebuilding, [replica]: { ...rebuild, phase } } });
  }

  /** A rebuild of a member that has none recorded (one spdk_tgt started by itself) is recorded as it is. */
  async recordRebuild(replica: string, rebuild: RebuildRecord): Promise<void> {
    const record = this.require();
    if (!record.replicas.some((r) => r.name === replica) || rebuildOf(record, replica)) return;
    await this.put(withoutOut({ ...record, rebuilding: { ...record.rebuilding, [replica]: rebuild } }, replica));
  }

  /** Members seen out of the online raid and not being rebuilt (members-out.ts). */
  async markOut(replicas: readonly string[]): Promise<void> {
    const record = this.require();
    const out = [...new Set([...(record.out ?? []), ...replicas.filter((r) => record.replicas.some((m) => m.name === r))])];
    if (out.length === (record.out?.length ?? 0)) return;
    await this.put({ ...record, out });
  }

  /** Members marked out that the online raid holds in sync again (members-out.ts): the mark goes. */
  async markIn(replicas: readonly string[]): Promise<void> {
    let record = this.require();
    for (const replica of replicas) record = withoutOut(record, replica);
    if (record.out?.length === this.require().out?.length) return;
    await this.put(record);
  }

  /** What the rebuild has done so far; nothing to do when it has no record (it ended meanwhile). */
  async setRebuildView(replica: string, view: RebuildView): Promise<void> {
    const record = this.current;
    const rebuild = rebuildOf(record, replica);
    if (!record || !rebuild) return;
    await this.put({ ...record, rebuilding: { ...record.rebuilding, [replica]: { ...rebuild, view } } });
  }

  /** The rebuild is over (the member stays); a restart must not start it again. */
  async dropRebuild(replica: string): Promise<void> {
    const record = this.current;
    if (!record || !rebuildOf(record, replica)) return;
    await this.put(withoutOut(withoutRebuild(record, replica), replica));
  }

  /** The member leaves the engine, and its rebuild record with it. */
  async removeMember(replica: string): Promise<void> {
    const record = this.current;
    if (!record || (!record.replicas.some((r) => r.name === replica) && !rebuildOf(record, replica))) return;
    await this.put(withoutOut(withoutRebuild({ ...record, replicas: record.replicas.filter((r) => r.name !== replica) }, replica), replica));
  }

  /** A volume snapshot's record made, changed, or (undefined) gone. */
  async setVolumeSnapshot(snapshot: string, next: VolumeSnapshotRecord | undefined): Promise<void> {
    const { volumeSnapshots, ...record } = this.require();
    const { [snapshot]: _old, ...others } = volumeSnapshots ?? {};
    const all = next ? { ...others, [snapshot]: next } : others;
    await this.put(Object.keys(all).length > 0 ? { ...record, volumeSnapshots: all } : record);
  }

  /** The QoS limits now in force on the raid; all zero drops them. */
  async setQos(qos: QosLimits): Promise<void> {
    const { qos: _old, ...record } = this.require();
    const any = Object.values(qos).some((v) => v > 0);
    await this.put(any ? { ...record, qos } : record);
  }

  /** An expansion to `sizeBytes` begins (or a member grew: `grown` carries every member done so far). */
  async recordExpansion(expansion: ExpansionRecord): Promise<void> {
    await this.put({ ...this.require(), expanding: expansion });
  }

  /** The raid reached the new size: it becomes the engine's, and the expansion record goes. */
  async finishExpansion(): Promise<void> {
    const { expanding, ...record } = this.require();
    if (!expanding) return;
    await this.put({ ...record, sizeBytes: expanding.sizeBytes });
  }

  /** A revert began or finished a step (`undefined`: it is over, the record goes). */
  async setRevert(revert: RevertRecord | undefined): Promise<void> {
    const { reverting: _old, ...record } = this.require();
    await this.put(revert ? { ...record, reverting: revert } : record);
  }

  /** The engine is gone from this node; its port is remembered for a create of the same name. */
  async drop(): Promise<void> {
    const port = this.current?.port;
    if (port) this.state.keepPort(keptEngineKey(this.name), port);
    await this.put(undefined);
  }

  close(): void {
    this.open = false;
  }

  private require(): EngineSpec {
    const record = this.current;
    if (!record) throw new ConductorError('INTERNAL', `engine ${this.name} has no record to change`);
    return record;
  }

  private async put(next: EngineSpec | undefined): Promise<void> {
    // An edit kept past its section would change the record without the lock.
    if (!this.open) throw new ConductorError('INTERNAL', `engine ${this.name}'s record changed outside its lock`);
    // Copied: the caller's objects stay its own, and only the stored copy is frozen.
    const record = next && frozenRecord(structuredClone(next));
    // The index follows the record in memory, which changes now; a failed write puts the old
    // record back (state-file.ts), and the index follows it again.
    this.members.set(this.name, record);
    try {
      await this.state.putEngine(this.name, record);
    } finally {
      this.members.set(this.name, this.state.engine(this.name));
    }
  }
}

/** Replica → the engines that have it as a local member, kept as each engine's record changes. */
class LocalMembers {
  private readonly byReplica = new Map<string, string[]>();
  /** Each engine's local members as last indexed, to take them out again. */
  private readonly byEngine = new Map<string, readonly string[]>();

  set(engine: string, spec: EngineSpec | undefined): void {
    const before = this.byEngine.get(engine) ?? [];
    const after = spec ? spec.replicas.filter((r) => r.kind === 'local').map((r) => r.name) : [];
    if (before.length === after.length && before.every((r, i) => r === after[i])) return;
    for (const replica of before) {
      const engines = this.byReplica.get(replica)?.filter((e) => e !== engine) ?? [];
      if (engines.length > 0) this.byReplica.set(replica, engines);
      else this.byReplica.delete(replica);
    }
    for (const replica of after) this.byReplica.set(replica, [...(this.byReplica.get(replica) ?? []), engine]);
    if (after.length > 0) this.byEngine.set(engine, after);
    else this.byEngine.delete(engine);
  }

  enginesOf(replica: string): string[] {
    return [...(this.byReplica.get(replica) ?? [])];
  }
}

function withoutRebuild(record: EngineSpec, replica: string): EngineSpec {
  const { rebuilding, ...rest } = record;
  const { [replica]: _dropped, ...others } = rebuilding ?? {};
  return Object.keys(others).length > 0 ? { ...rest, rebuilding: others } : rest;
}

function withoutOut(record: EngineSpec, replica: string): EngineSpec {
  if (!record.out?.includes(replica)) return record;
  const { out, ...rest } = record;
  const others = out.filter((r) => r !== replica);
  return others.length > 0 ? { ...rest, out: others } : rest;
}

/** Own entries only: a member named `constructor` must not find Object's. */
function rebuildOf(record: EngineSpec | undefined, replica: string): Readonly<RebuildRecord> | undefined {
  return record?.rebuilding && Object.hasOwn(record.rebuilding, replica) ? record.rebuilding[replica] : undefined;
}

function keptEngineKey(name: string): string {
  return `engine/${name}`;
}
