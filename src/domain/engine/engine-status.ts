/**
 * What an engine is, as spdk_tgt shows it, compared with what it should be. spdk_tgt has no
 * "degraded" raid state: a raid1 that lost a member stays `online`, so the engine's state comes
 * from comparing the raid's configured members with the engine's spec. A monitor reads the raids
 * and controllers every period (two calls for all engines) and reports every change with its reason.
 */
import { objectChangeChannel, type ObjectChange } from '../../diagnostics.js';
import type { CallOptions } from '../../spdk/call.js';
import type { Bdev } from '../../spdk/methods/bdev.js';
import type { NvmeController } from '../../spdk/methods/nvme.js';
import type { RaidBdev } from '../../spdk/methods/raid.js';
import type { DomainContext } from '../node/context.js';
import { memberSlotNames } from './members.js';
import type { EngineEvent, EngineInfo, EngineMemberInfo, EngineState, FrontendInfo, RebuildInfo } from '../model.js';
import { engineControllerName, engineRaidName, namespaceIds, volumeNqn } from '../node/naming.js';
import type { EngineSpec } from '../node/state-file.js';
import type { EngineRecords } from './engine-records.js';
import { forEachSliced, mapSliced } from '../node/slices.js';
import { exportOnlyFrontend } from '../../host/frontend.js';
import type { HostTimeouts } from './timeout-budget.js';

/** Past this many engines changed in one monitor pass, they are logged in one line. */
const MANY_CHANGES = 20;

/** An engine's rebuilds that are queued or running (kept by rebuild/active-rebuilds.ts). */
export interface EngineRebuilds {
  activeOf(engine: string): RebuildInfo[];
}

export interface Observed {
  raids: Map<string, RaidBdev>;
  controllers: Map<string, NvmeController>;
}

export class EngineStatus {
  private readonly listeners = new Set<(event: EngineEvent) => void>();
  /** Last state reported per engine, to emit only changes. */
  private readonly last = new Map<string, string>();
  /** What the last monitor pass or operation saw of each engine: metrics read it without a call to spdk_tgt. */
  private readonly seen = new Map<string, EngineInfo>();
  private lastRaids: ReadonlyMap<string, RaidBdev> | undefined;

  constructor(
    private readonly ctx: Pick<DomainContext, 'spdk' | 'client' | 'inventory' | 'settings' | 'log'>,
    private readonly records: EngineRecords,
    private readonly rebuilds: EngineRebuilds,
    private readonly hostTimeouts: (spec: EngineSpec) => HostTimeouts,
  ) {}

  async observe(options?: CallOptions): Promise<Observed> {
    const [raids, controllers] = await Promise.all([this.ctx.spdk.raid.getBdevs('all', options), this.ctx.spdk.nvme.getControllers(undefined, options)]);
    return { raids: new Map(raids.map((r) => [r.name, r])), controllers: new Map(controllers.map((c) => [c.name, c])) };
  }

  async info(spec: EngineSpec, options?: CallOptions): Promise<EngineInfo> {
    return this.describe(spec, await this.observeOne(spec, options));
  }

  /**
   * One engine's raid and controllers, read by name: listing every raid and controller for one
   * engine cost ~1 MB of JSON per EngineGet at 500 engines. A raid that is not a bdev (configuring,
   * or gone) is not found by name, and only then are the raids listed.
   */
  private async observeOne(spec: EngineSpec, options?: CallOptions): Promise<Observed> {
    const raidName = engineRaidName(spec.name);
    const remote = spec.replicas.filter((r) => r.kind === 'remote').map((r) => engineControllerName(spec.name, r.name));
    const [raid, controllers] = await Promise.all([this.raidByName(raidName, options), this.controllersNamed(remote, options)]);
    return { raids: new Map(raid ? [[raidName, raid]] : []), controllers: new Map(controllers.map((c) => [c.name, c])) };
  }

  /**
   * The named controllers spdk_tgt has, each asked for by name (independent names go out together
   * on the one connection); a name it does not know (-22 "Controller X does not exist") is left
   * out. The whole list is one large answer per call on a node with hundreds of remote members.
   */
  async controllersNamed(names: readonly string[], options?: CallOptions): Promise<NvmeController[]> {
    const found = await Promise.all(names.map((name) => this.ctx.spdk.nvme.getControllers({ name }, options).catch((e: unknown) => this.ifGone(e, []) as NvmeController[])));
    return found.flat();
  }

  /** One raid by its bdev name (its driver_specific carries the rebuild process); every raid is listed only when it is not a bdev. */
  async raidByName(name: string, options?: CallOptions): Promise<RaidBdev | undefined> {
    const bdevs = await this.ctx.spdk.bdev.getBdevs({ name }, options).catch((e: unknown) => this.ifGone(e, []) as Bdev[]);
    const raid = bdevs[0]?.driver_specific.raid;
    if (raid) return { name, ...raid };
    return (await this.ctx.spdk.raid.getBdevs('all', options)).find((r) => r.name === name);
  }

  /** `value` when `error` says the named object does not exist, else rethrows it. */
  private ifGone(error: unknown, value: unknown): unknown {
    if (this.ctx.client.verdictOf(error) === 'gone') return value;
    throw error;
  }

  async infoAll(specs: EngineSpec[], options?: CallOptions): Promise<EngineInfo[]> {
    this.lastRaids = undefined;
    if (specs.length === 0) return [];
    const observed = await this.observe(options);
    this.lastRaids = observed.raids;
    return mapSliced(specs, (s) => this.describe(s, observed));
  }

  /** The raids the last read of every engine saw (a monitor pass), so the same pass need not list them again. */
  raidsAsLastRead(): ReadonlyMap<string, RaidBdev> | undefined {
    return this.lastRaids;
  }

  describe(spec: EngineSpec, observed: Observed): EngineInfo {
    const raidName = engineRaidName(spec.name);
    const raid = observed.raids.get(raidName);
    const process = raid?.process;
    const slots = new Map((raid?.base_bdevs_list ?? []).filter((b) => b.name).map((b) => [b.name!, b]));
    // After examine re-assembled a raid a local member is listed under its lvol's uuid.
    const rebuilds = this.rebuilds.activeOf(spec.name);
    const members: EngineMemberInfo[] = spec.replicas.map((replica) => {
      const names = memberSlotNames(spec.name, replica, this.ctx);
      const bdevName = names[0]!;
      const controller = replica.kind === 'remote' ? observed.controllers.get(engineControllerName(spec.name, replica.name)) : undefined;
      const controllerState = controller?.ctrlrs[0]?.state;
      const slotName = names.find((n) => slots.has(n));
      const slot = slotName === undefined ? undefined : slots.get(slotName);
      let state: EngineMemberInfo['state'];
      let reason: string;
      const rebuild = rebuilds.find((r) => r.replica === replica.name);
      if (rebuild) {
        // Not healthy until its rebuild has ended, whatever the raid's slot says.
        state = 'rebuilding';
        reason = `rebuild ${rebuild.state}: ${rebuild.reason}`;
      } else if (process && names.includes(process.target)) {
        state = 'rebuilding';
        reason = `rebuilding, ${process.progress.percent}%`;
      } else if (slot?.is_configured) {
        state = 'healthy';
        reason = controllerState && controllerState !== 'enabled' ? `in the raid; controller ${controllerState}` : 'in the raid';
      } else if (replica.kind === 'remote' && !controller) {
        state = 'missing';
        reason = 'no controller: it was never attached, or bdev_nvme gave it up after ctrlr_loss_timeout_sec';
      } else {
        state = 'failed';
        reason = controllerState ? `not in the raid; controller ${controllerState}` : 'not in the raid';
      }
      return { name: replica.name, kind: replica.kind, bdevName, state, reason, controllerState };
    });
    const healthy = members.filter((m) => m.state === 'healthy').length;
    let state: EngineState;
    let reason: string;
    if (!raid) {
      state = 'faulted';
      reason = `raid ${raidName} is not in spdk_tgt`;
    } else if (raid.state !== 'online') {
      state = 'faulted';
      reason = `raid ${raidName} is ${raid.state}`;
    } else if (healthy === 0) {
      state = 'faulted';
      reason = 'no healthy member';
    } else if (healthy < spec.replicas.length) {
      state = 'degraded';
      reason = `${healthy} of ${spec.replicas.length} members healthy (${members
        .filter((m) => m.state !== 'healthy')
        .map((m) => `${m.name} ${m.state}`)
        .join(', ')})`;
    } else {
      state = 'healthy';
      reason = `${healthy} of ${spec.replicas.length} members healthy`;
    }
    return {
      name: spec.name,
      sizeBytes: spec.sizeBytes,
      state,
      reason,
      raidName,
      members,
      frontend: this.frontend(spec),
      rebuild: process ? { member: process.target, percent: process.progress.percent, blocks: process.progress.blocks } : undefined,
      rebuilds,
      superblock: spec.superblock === true,
      ...(spec.salvage ? { salvage: { ...spec.salvage, members: spec.salvage.members.map((m) => ({ ...m })) } } : {}),
      ...(spec.qos ? { qos: { ...spec.qos } } : {}),
      ...(spec.expanding ? { expansion: { sizeBytes: spec.expanding.sizeBytes, grown: Object.keys(spec.expanding.grown) } } : {}),
      ...(spec.reverting ? { revert: { snapshot: spec.reverting.snapshot, source: spec.reverting.source, phase: spec.reverting.phase } } : {}),
    };
  }

  /**
   * Sends the engines `initial` resolves to as 'added' and a 'synced', then every change. Changes
   * that happen while the initial list is read are held and sent after it, in order.
   */
  subscribe(listener: (event: EngineEvent) => void, initial: Promise<EngineInfo[]>): () => void {
    const held: EngineEvent[] = [];
    let live = false;
    const relay = (event: EngineEvent): void => {
      if (live) listener(event);
      else held.push(event);
    };
    this.listeners.add(relay);
    // Never rejects: a failed initial read counts as an empty list.
    void initial
      .catch(() => [] as EngineInfo[])
      .then(async (engines) => {
        const gone = (): boolean => !this.listeners.has(relay);
        await forEachSliced(engines, (engine) => listener({ type: 'added', engine, reason: 'initial list' }), gone);
        if (gone()) return;
        listener({ type: 'synced', engine: undefined, reason: `${engines.length} engines` });
        for (const event of held.splice(0)) listener(event);
        live = true;
      });
    return () => {
      this.listeners.delete(relay);
    };
  }

  /** The engine as last seen (monitor pass or operation), or undefined before the first look. */
  lastSeen(name: string): EngineInfo | undefined {
    return this.seen.get(name);
  }

  get listenerCount(): number {
    return this.listeners.size;
  }

  /** Reports an engine's change made by an operation (the monitor reports the ones SPDK made). */
  changed(name: string, type: 'added' | 'modified' | 'deleted', reason: string): void {
    const spec = this.records.get(name);
    if (type === 'deleted' || !spec) {
      this.last.delete(name);
      this.seen.delete(name);
      this.emit({ type: 'deleted', engine: undefined, reason: `${name}: ${reason}` });
      publishChange(name, 'deleted', undefined, reason, 'operation');
      return;
    }
    this.info(spec).then(
      (engine) => {
        this.last.set(name, fingerprint(engine));
        this.seen.set(name, engine);
        this.emit({ type, engine, reason });
        publishChange(name, type, engine.state, reason, 'operation');
      },
      (err: unknown) => this.ctx.log.warn({ engine: name, err: (err as Error).message }, 'cannot read engine state for its event'),
    );
  }

  /** One monitor pass: reads spdk_tgt once and reports engines whose state changed, with why. */
  async check(options?: CallOptions): Promise<EngineInfo[]> {
    const specs = this.records.all();
    const infos = await this.infoAll(specs, options);
    this.seen.clear();
    const changed: EngineInfo[] = [];
    await forEachSliced(infos, (engine) => {
      this.seen.set(engine.name, engine);
      const print = fingerprint(engine);
      const before = this.last.get(engine.name);
      if (before === print) return;
      this.last.set(engine.name, print);
      if (before !== undefined) {
        changed.push(engine);
        this.emit({ type: 'modified', engine, reason: engine.reason });
        publishChange(engine.name, 'modified', engine.state, engine.reason, 'monitor');
      }
    });
    this.logChanges(changed);
    return infos;
  }

  /**
   * One line per engine that changed; when a pass finds many (spdk_tgt restarted: every engine
   * faulted, then back), one line for all, with how many are in each state and the first names,
   * and each engine's line at debug: hundreds of lines with their redaction cost the service
   * ~0.5 s of CPU just when it brings the node back.
   */
  private logChanges(changed: readonly EngineInfo[]): void {
    const log = this.ctx.log;
    const line = (engine: EngineInfo) => ({ engine: engine.name, state: engine.state, reason: engine.reason, members: engine.members.map((m) => `${m.name}:${m.state}`) });
    if (changed.length <= MANY_CHANGES) {
      for (const engine of changed) (engine.state === 'healthy' ? log.info.bind(log) : log.warn.bind(log))(line(engine), 'engine state changed');
      return;
    }
    const states: Record<string, number> = {};
    for (const engine of changed) states[engine.state] = (states[engine.state] ?? 0) + 1;
    const healthy = changed.every((engine) => engine.state === 'healthy');
    (healthy ? log.info.bind(log) : log.warn.bind(log))({ count: changed.length, states, engines: changed.slice(0, MANY_CHANGES).map((e) => e.name) }, 'engine states changed');
    if (log.isLevelEnabled('debug')) for (const engine of changed) log.debug(line(engine), 'engine state changed');
  }

  private emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  private frontend(spec: EngineSpec): FrontendInfo {
    const ids = namespaceIds('volume', spec.name);
    const nqn = volumeNqn(spec.name);
    const address = this.ctx.settings.exportAddress;
    const host = this.hostTimeouts(spec);
    return {
      kind: spec.frontend,
      nqn,
      address,
      port: spec.port,
      hostNqns: [...spec.hostNqns],
      namespaceUuid: ids.uuid,
      namespaceNguid: ids.nguid,
      device: undefined,
      recommendedCtrlLossTmoSec: host.ctrlLossTmoSec,
      // Port 0 until the create's export exists: no line to connect with yet.
      connectCommand: spec.frontend === 'export-only' && spec.port !== 0 ? connectLine(nqn, address, spec, host) : undefined,
    };
  }
}

/**
 * The whole `nvme connect` line a host pastes: the budget's three host flags, and --hostnqn when
 * the engine allows exactly one host (with several, each host uses its own /etc/nvme/hostnqn).
 */
function connectLine(nqn: string, address: string, spec: EngineSpec, host: HostTimeouts): string {
  const hostNqn = spec.hostNqns.length === 1 ? spec.hostNqns[0] : undefined;
  const params = { nqn, address, port: spec.port, ctrlLossTmoSec: host.ctrlLossTmoSec, reconnectDelaySec: host.reconnectDelaySec, keepAliveTmoSec: host.keepAliveTmoSec };
  return exportOnlyFrontend(hostNqn === undefined ? params : { ...params, hostNqn }).connectCommand;
}

function publishChange(name: string, type: ObjectChange['type'], state: EngineState | undefined, reason: string, source: ObjectChange['source']): void {
  if (objectChangeChannel.hasSubscribers) objectChangeChannel.publish({ kind: 'engine', name, type, state, reason, source });
}

function fingerprint(engine: EngineInfo): string {
  return `${engine.state}|${engine.members.map((m) => `${m.name}:${m.state}`).join(',')}|${engine.rebuild ? 'rebuild' : ''}|${engine.rebuilds.map((r) => `${r.replica}:${r.state}`).join(',')}`;
}
