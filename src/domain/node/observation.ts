/**
 * The node at a glance, from what the service already holds in memory (the inventory, the engine
 * records and what the monitor last saw of them, the rebuild queue, the last resource sample):
 * metrics scrapes and NodeStats read it as often as they like without one call to spdk_tgt.
 *
 * Replicas are counted per disk, never listed: a node holds thousands, and every consumer of this
 * wants totals. Engines are listed (a node holds hundreds at most).
 */
import type { ResourceSnapshot } from '../health/readings.js';
import { checkBudget, applyOverride, type BudgetMargin, type TimeoutBudget } from '../engine/timeout-budget.js';
import type { EngineInfo, EngineState, MemberState, RebuildInfo, ThrottleInfo, TimeoutOverride } from '../model.js';
import type { Inventory } from './inventory.js';
import { engineRaidName } from './naming.js';
import type { EngineSpec } from './state-file.js';

export interface DiskObservation {
  name: string;
  totalBytes: number;
  freeBytes: number;
  allocatedBytes: number;
  replicas: number;
  exportedReplicas: number;
  snapshots: number;
}

export interface EngineObservation {
  name: string;
  raidName: string;
  sizeBytes: number;
  /** 'unknown' until the monitor (or an operation) has looked at it since the start. */
  state: EngineState | 'unknown';
  members: Record<MemberState, number>;
  /** How far each replica-side deadline stays inside the host limit it races (the engine's effective budget). */
  margins: ReadonlyArray<Pick<BudgetMargin, 'rule' | 'marginSec' | 'requiredSec' | 'applies'>>;
}

export interface NodeObservation {
  /** Date.now() when it was put together. */
  at: number;
  disks: DiskObservation[];
  objects: { disks: number; replicas: number; snapshots: number; exports: number; engines: number; rebuilds: number };
  engines: EngineObservation[];
  /** Rebuilds queued or running (not the ended ones). */
  rebuilds: RebuildInfo[];
  throttle: ThrottleInfo;
  resources: ResourceSnapshot | undefined;
  /** NVMe-oF subsystems as last counted, against spdk_tgt's limit; undefined before a count. */
  subsystems: { count: number; max: number } | undefined;
}

export interface ObservationSources {
  inventory: Inventory;
  specs: readonly EngineSpec[];
  lastSeen: (engine: string) => EngineInfo | undefined;
  rebuilds: RebuildInfo[];
  throttle: ThrottleInfo;
  resources: ResourceSnapshot | undefined;
  subsystems: { count: number; max: number } | undefined;
  budget: TimeoutBudget;
}

const MEMBER_STATES: readonly MemberState[] = ['healthy', 'rebuilding', 'failed', 'missing'];

export function observeNode(src: ObservationSources, margins: BudgetMargins): NodeObservation {
  const disks = new Map<string, DiskObservation>();
  for (const d of src.inventory.disks.values()) {
    const total = d.totalClusters * d.clusterSize;
    const free = d.freeClusters * d.clusterSize;
    disks.set(d.name, { name: d.name, totalBytes: total, freeBytes: free, allocatedBytes: total - free, replicas: 0, exportedReplicas: 0, snapshots: 0 });
  }
  let replicas = 0;
  let snapshots = 0;
  for (const lvol of src.inventory.lvols.values()) {
    const disk = disks.get(lvol.disk);
    if (lvol.role?.role === 'head') {
      replicas++;
      if (disk) {
        disk.replicas++;
        if (src.inventory.exports.has(lvol.role.replica)) disk.exportedReplicas++;
      }
    } else if (lvol.role?.role === 'snapshot') {
      snapshots++;
      if (disk) disk.snapshots++;
    }
  }
  const engines = src.specs.map((spec): EngineObservation => {
    const seen = src.lastSeen(spec.name);
    const members = Object.fromEntries(MEMBER_STATES.map((s) => [s, 0])) as Record<MemberState, number>;
    for (const m of seen?.members ?? []) members[m.state]++;
    return { name: spec.name, raidName: engineRaidName(spec.name), sizeBytes: spec.sizeBytes, state: seen?.state ?? 'unknown', members, margins: margins.of(src.budget, spec.timeouts) };
  });
  const rebuilds = src.rebuilds.filter((r) => r.finishedAtMs === 0);
  return {
    at: Date.now(),
    disks: [...disks.values()],
    objects: { disks: disks.size, replicas, snapshots, exports: src.inventory.exports.size, engines: engines.length, rebuilds: rebuilds.length },
    engines,
    rebuilds,
    throttle: src.throttle,
    resources: src.resources,
    subsystems: src.subsystems,
  };
}

/** Margins per distinct override: engines share a handful of budgets, so each is checked once. */
export class BudgetMargins {
  private readonly byOverride = new Map<string, EngineObservation['margins']>();

  of(budget: TimeoutBudget, override: Readonly<TimeoutOverride> | undefined): EngineObservation['margins'] {
    const key = override ? JSON.stringify(override) : '';
    let margins = this.byOverride.get(key);
    if (!margins) {
      const effective = override ? applyOverride(budget, override) : budget;
      margins = checkBudget(effective).margins.map(({ rule, marginSec, requiredSec, applies }) => ({ rule, marginSec, requiredSec, applies }));
      // Overrides are few and persisted with their engines; a bound keeps a churn of distinct ones from growing it.
      if (this.byOverride.size >= 256) this.byOverride.clear();
      this.byOverride.set(key, margins);
    }
    return margins;
  }
}
