/**
 * The engine part of the fake domain, in memory and honest about what the API depends on: creates
 * are idempotent and refuse a different engine under the same name, deletes and removals of what
 * is gone succeed, a local replica must exist on the node, fewer than two reachable replicas is
 * UNAVAILABLE, nvme-host needs a host frontend, and every change is an event with its reason. The
 * watch's initial list arrives after engineWatch returns, as the real domain's does.
 */
import { ConductorError } from '../../../src/errors.js';
import type {
  EngineCreate,
  EngineEvent,
  EngineInfo,
  EngineRepairOutcome,
  EngineMemberInfo,
  EngineReplicaSpec,
  EngineState,
  FrontendInfo,
  MemberState,
  RebuildInfo,
  VolumeSnapshotInfo,
} from '../../../src/domain/model.js';
import type { VolumeSnapshotCreate } from '../../../src/domain/engine/volume-snapshots.js';
import type { QosLimits } from '../../../src/domain/model.js';
import { NO_LIMITS, qosToApply } from '../../../src/domain/engine/qos.js';
import type { EngineDomain } from '../../../src/domain/operations.js';
import type { DeleteOutcome } from '../../../src/domain/model.js';

/** A queued rebuild as the real domain reports one right after EngineReplicaAdd. */
export function fakeRebuild(engine: string, replica: string): RebuildInfo {
  return {
    engine,
    replica,
    state: 'queued',
    reason: 'waiting for a rebuild slot',
    path: undefined,
    pathReason: '',
    sourceReplica: '',
    percent: 0,
    bytesDone: 0,
    bytesTotal: 0,
    rateBytesPerSec: 0,
    etaSec: -1,
    queuePosition: 1,
    snapshots: [],
    raid: undefined,
    throttle: { engaged: false, limitMbSec: 0, reason: 'healthy' },
    createdAtMs: 1_700_000_000_000,
    startedAtMs: 0,
    processStartedAtMs: 0,
    finishedAtMs: 0,
  };
}

type Options = Parameters<EngineDomain['engineGet']>[1];
export type EngineMethod = Exclude<keyof EngineDomain, 'engineWatch'>;

export interface FakeEnginesHooks {
  /** Records the call and applies failNext/hang, as for every fake method. */
  enter(method: EngineMethod, args: unknown[], options: Options): Promise<void>;
  /** Whether a replica of that name lives on this node (a local member needs one). */
  hasLocalReplica(name: string): boolean;
}

interface Stored {
  spec: EngineCreate;
  port: number;
  members: Map<string, { spec: EngineReplicaSpec; state: MemberState; reason: string }>;
  qos?: QosLimits;
}

/** What the fake's frontend reports, so tests can compare exact values. */
export const FAKE_EXPORT_ADDRESS = '10.0.0.9';
export const FAKE_HOST_NQN = 'nqn.2014-08.org.nvmexpress:uuid:99999999-1f6b-4b8e-9d43-5b2a1e7c9a10';
export const FAKE_CTRL_LOSS_TMO_SEC = 60;

export class FakeEngines {
  /** Whether this node can connect its kernel to a volume (the nvme-host frontend). */
  hostFrontend = true;
  readonly #engines = new Map<string, Stored>();
  readonly #listeners = new Set<(event: EngineEvent) => void>();
  #nextPort = 21000;

  constructor(private readonly hooks: FakeEnginesHooks) {}

  get listenerCount(): number {
    return this.#listeners.size;
  }

  /** What the monitor would report when spdk_tgt changes a member (lost, rebuilt). */
  setMemberState(engine: string, member: string, state: MemberState, reason: string): EngineInfo {
    const stored = this.#stored(engine);
    const entry = stored.members.get(member);
    if (!entry) throw new Error(`engine ${engine} has no member ${member}`);
    entry.state = state;
    entry.reason = reason;
    const info = this.#info(stored);
    this.#emit({ type: 'modified', engine: info, reason: info.reason });
    return info;
  }

  async engineCreate(request: EngineCreate, options?: Options): Promise<EngineInfo> {
    await this.hooks.enter('engineCreate', [request], options);
    const existing = this.#engines.get(request.name);
    if (existing) {
      if (JSON.stringify(existing.spec) !== JSON.stringify(request)) throw new ConductorError('ENGINE_EXISTS', `engine ${request.name} exists with another configuration; delete it first`);
      return this.#info(existing);
    }
    if (request.frontend === 'nvme-host' && !this.hostFrontend) {
      throw new ConductorError('HOST_NVME_UNAVAILABLE', 'the nvme-host frontend is not available on this node (nvme-cli or the nvme-tcp module is missing); use export-only');
    }
    const members = new Map(request.replicas.map((spec) => [spec.name, this.#attach(spec)]));
    const reachable = [...members.values()].filter((m) => m.state === 'healthy').length;
    if (reachable < 2) throw new ConductorError('REPLICA_UNREACHABLE', `engine ${request.name} needs at least 2 reachable replicas to start, ${reachable} reachable`);
    const stored: Stored = { spec: structuredClone(request), port: this.#nextPort++, members };
    this.#engines.set(request.name, stored);
    const info = this.#info(stored);
    this.#emit({ type: 'added', engine: info, reason: 'created' });
    return info;
  }

  async engineGet(name: string, options?: Options): Promise<EngineInfo> {
    await this.hooks.enter('engineGet', [name], options);
    return this.#info(this.#stored(name));
  }

  /** What the next repairs report (a test sets it); the engine is answered as it is. */
  repairReport: { actions: string[]; problem: string | undefined } = { actions: [], problem: undefined };

  async engineRepair(name: string, options?: Options): Promise<EngineRepairOutcome> {
    await this.hooks.enter('engineRepair', [name], options);
    return { engine: this.#info(this.#stored(name)), ...this.repairReport };
  }

  async engineList(options?: Options): Promise<EngineInfo[]> {
    await this.hooks.enter('engineList', [], options);
    return [...this.#engines.values()].map((s) => this.#info(s));
  }

  async engineDelete(name: string, options?: Options): Promise<DeleteOutcome> {
    await this.hooks.enter('engineDelete', [name], options);
    if (!this.#engines.delete(name)) return 'already-absent';
    this.#emit({ type: 'deleted', engine: undefined, reason: `${name}: deleted` });
    return 'deleted';
  }

  async engineReplicaRemove(name: string, replica: string, options?: Options): Promise<EngineInfo> {
    await this.hooks.enter('engineReplicaRemove', [name, replica], options);
    const stored = this.#stored(name);
    if (!stored.members.delete(replica)) return this.#info(stored);
    stored.spec.replicas = stored.spec.replicas.filter((r) => r.name !== replica);
    const info = this.#info(stored);
    this.#emit({ type: 'modified', engine: info, reason: `replica ${replica} removed` });
    return info;
  }

  async engineReplicaAdd(name: string, replica: EngineReplicaSpec, options?: Options): Promise<EngineInfo> {
    await this.hooks.enter('engineReplicaAdd', [name, replica], options);
    const stored = this.#stored(name);
    const known = stored.spec.replicas.find((r) => r.name === replica.name);
    if (known) {
      if (JSON.stringify(known) !== JSON.stringify(replica)) throw new ConductorError('ENGINE_MEMBER_EXISTS', `engine ${name} has a replica ${replica.name} at another address`);
      return this.#info(stored);
    }
    const attached = this.#attach(replica);
    if (attached.state !== 'healthy') throw new ConductorError('REPLICA_UNREACHABLE', `cannot attach replica ${replica.name}: ${attached.reason}`);
    stored.spec.replicas.push({ ...replica });
    stored.members.set(replica.name, { spec: { ...replica }, state: 'rebuilding', reason: 'rebuilding, 0%' });
    this.rebuilds.set(`${name}/${replica.name}`, fakeRebuild(name, replica.name));
    const info = this.#info(stored);
    this.#emit({ type: 'modified', engine: info, reason: `replica ${replica.name} added; rebuilding` });
    return info;
  }

  engineWatch(listener: (event: EngineEvent) => void): () => void {
    const held: EngineEvent[] = [];
    let live = false;
    const relay = (event: EngineEvent): void => {
      if (live) listener(event);
      else held.push(event);
    };
    this.#listeners.add(relay);
    const initial = [...this.#engines.values()].map((s) => this.#info(s));
    queueMicrotask(() => {
      if (!this.#listeners.has(relay)) return;
      for (const engine of initial) listener({ type: 'added', engine, reason: 'initial list' });
      listener({ type: 'synced', engine: undefined, reason: `${initial.length} engines` });
      for (const event of held.splice(0)) listener(event);
      live = true;
    });
    return () => {
      this.#listeners.delete(relay);
    };
  }

  #attach(spec: EngineReplicaSpec): { spec: EngineReplicaSpec; state: MemberState; reason: string } {
    if (spec.kind === 'local' && !this.hooks.hasLocalReplica(spec.name)) return { spec: { ...spec }, state: 'missing', reason: 'no such replica on this node' };
    return { spec: { ...spec }, state: 'healthy', reason: 'in the raid' };
  }

  #stored(name: string): Stored {
    const stored = this.#engines.get(name);
    if (!stored) throw new ConductorError('ENGINE_NOT_FOUND', `engine ${name} does not exist on this node`);
    return stored;
  }

  #info(stored: Stored): EngineInfo {
    const { spec } = stored;
    const members: EngineMemberInfo[] = [...stored.members.values()].map(({ spec: m, state, reason }) => ({
      name: m.name,
      kind: m.kind,
      bdevName: m.kind === 'remote' ? `ec.${spec.name}.${m.name}n1` : `lvs.d1/r.${m.name}`,
      state,
      reason,
      controllerState: m.kind === 'remote' ? (state === 'missing' ? undefined : 'enabled') : undefined,
    }));
    const healthy = members.filter((m) => m.state === 'healthy').length;
    const state: EngineState = healthy === 0 ? 'faulted' : healthy < members.length ? 'degraded' : 'healthy';
    const unhealthy = members.filter((m) => m.state !== 'healthy').map((m) => `${m.name} ${m.state}`);
    const rebuilding = members.find((m) => m.state === 'rebuilding');
    return {
      name: spec.name,
      sizeBytes: spec.sizeBytes,
      state,
      reason: `${healthy} of ${members.length} members healthy${unhealthy.length ? ` (${unhealthy.join(', ')})` : ''}`,
      raidName: `e.${spec.name}`,
      members,
      frontend: this.#frontend(stored),
      rebuild: rebuilding ? { member: rebuilding.bdevName, percent: 0, blocks: 0 } : undefined,
      rebuilds: [...this.rebuilds.values()].filter((r) => r.engine === spec.name && ['queued', 'copying-snapshots', 'rebuilding'].includes(r.state)).map((r) => ({ ...r })),
      ...(stored.qos ? { qos: { ...stored.qos } } : {}),
    };
  }

  async engineExpand(name: string, sizeBytes: number, options?: Options): Promise<EngineInfo> {
    await this.hooks.enter('engineExpand', [name, sizeBytes], options);
    const stored = this.#stored(name);
    if (sizeBytes < stored.spec.sizeBytes) throw new ConductorError('INVALID_SIZE', `engine ${name} is ${stored.spec.sizeBytes} bytes; shrinking is refused`);
    stored.spec.sizeBytes = sizeBytes;
    return this.#info(stored);
  }

  /** Records what the edge handed over: the request, after its checks. */
  async engineSnapshotRevert(request: { engine: string; snapshot: string; source?: string }, options?: Options): Promise<EngineInfo> {
    await this.hooks.enter('engineSnapshotRevert', [request], options);
    return this.#info(this.#stored(request.engine));
  }

  /** The domain's own rounding rules (engine/qos.ts), so the edge's reporting is checked against them. */
  async engineQosSet(name: string, limits: Partial<QosLimits>, options?: Options): Promise<{ engine: EngineInfo; adjustments: string[] }> {
    await this.hooks.enter('engineQosSet', [name, limits], options);
    const stored = this.#stored(name);
    const outcome = qosToApply(limits, stored.qos ?? NO_LIMITS);
    stored.qos = outcome.limits;
    return { engine: this.#info(stored), adjustments: outcome.adjustments };
  }

  /** Rebuilds by `${engine}/${replica}`; tests may set any state on them. */
  readonly rebuilds = new Map<string, RebuildInfo>();

  async rebuildList(engine: string | undefined): Promise<RebuildInfo[]> {
    await this.hooks.enter('rebuildList', [engine], undefined);
    return [...this.rebuilds.values()].filter((r) => engine === undefined || r.engine === engine).map((r) => ({ ...r }));
  }

  async rebuildGet(engine: string, replica: string): Promise<RebuildInfo> {
    await this.hooks.enter('rebuildGet', [engine, replica], undefined);
    const rebuild = this.rebuilds.get(`${engine}/${replica}`);
    if (!rebuild) throw new ConductorError('REBUILD_NOT_FOUND', `no rebuild of ${replica} into engine ${engine} on this node`);
    return { ...rebuild };
  }

  async rebuildCancel(engine: string, replica: string, options?: Options): Promise<RebuildInfo> {
    await this.hooks.enter('rebuildCancel', [engine, replica], options);
    const rebuild = this.rebuilds.get(`${engine}/${replica}`);
    if (!rebuild) throw new ConductorError('REBUILD_NOT_FOUND', `no rebuild of ${replica} into engine ${engine} on this node`);
    if (['queued', 'copying-snapshots', 'rebuilding'].includes(rebuild.state)) Object.assign(rebuild, { state: 'cancelled', reason: 'cancelled by request' });
    return { ...rebuild };
  }

  readonly #volumeSnapshots = new Map<string, VolumeSnapshotInfo>();

  async engineSnapshotCreate(request: VolumeSnapshotCreate, options?: Options): Promise<VolumeSnapshotInfo> {
    await this.hooks.enter('engineSnapshotCreate', [request], options);
    const stored = this.#engines.get(request.engine);
    if (!stored) throw new ConductorError('ENGINE_NOT_FOUND', `engine ${request.engine} does not exist on this node`);
    const key = `${request.engine}/${request.name}`;
    const existing = this.#volumeSnapshots.get(key);
    if (existing) return existing;
    const members = stored.spec.replicas.map((r) => r.name);
    const made: VolumeSnapshotInfo = {
      engine: request.engine,
      name: request.name,
      createdAt: new Date(),
      labels: { ...request.labels },
      members,
      state: 'ready',
      consistency: 'unverified',
      identical: [],
    };
    this.#volumeSnapshots.set(key, made);
    return made;
  }

  async engineSnapshotList(engine: string): Promise<VolumeSnapshotInfo[]> {
    if (!this.#engines.has(engine)) throw new ConductorError('ENGINE_NOT_FOUND', `engine ${engine} does not exist on this node`);
    return [...this.#volumeSnapshots.values()].filter((s) => s.engine === engine);
  }

  async engineSnapshotDelete(engine: string, name: string, options?: Options): Promise<void> {
    await this.hooks.enter('engineSnapshotDelete', [engine, name], options);
    this.#volumeSnapshots.delete(`${engine}/${name}`);
  }

  #frontend({ spec, port }: Stored): FrontendInfo {
    const nqn = `nqn.2024-11.io.spdk-conductor:volume:${spec.name}`;
    const exportOnly = spec.frontend === 'export-only';
    return {
      kind: spec.frontend,
      nqn,
      address: FAKE_EXPORT_ADDRESS,
      port,
      hostNqns: exportOnly ? [...spec.hostNqns] : [...new Set([...spec.hostNqns, FAKE_HOST_NQN])],
      namespaceUuid: '9c4d5e6f-0000-4000-8000-000000000004',
      namespaceNguid: '9C4D5E6F000040008000000000000004',
      device: exportOnly ? undefined : '/dev/nvme1n1',
      recommendedCtrlLossTmoSec: spec.timeouts?.host?.ctrlLossTmoSec ?? FAKE_CTRL_LOSS_TMO_SEC,
      connectCommand: exportOnly ? `nvme connect -t tcp -a ${FAKE_EXPORT_ADDRESS} -s ${port} -n ${nqn} --ctrl-loss-tmo ${spec.timeouts?.host?.ctrlLossTmoSec ?? FAKE_CTRL_LOSS_TMO_SEC}` : undefined,
    };
  }

  #emit(event: EngineEvent): void {
    for (const listener of this.#listeners) listener(event);
  }
}
