/**
 * Rebuilds the service finds rather than starts: those recorded before a restart, and those
 * spdk_tgt started by itself. Each is ended, started again or followed as a job of the line
 * (rebuilds.ts), by what its record and the raid say.
 */
import type { RaidBdev } from '../../spdk/methods/raid.js';
import type { CallOptions } from '../../spdk/call.js';
import type { DomainContext } from '../node/context.js';
import type { EngineRecords } from '../engine/engine-records.js';
import type { EngineStatus } from '../engine/engine-status.js';
import type { Engines } from '../engine/engines.js';
import { memberSlotNames } from '../engine/members.js';
import type { EngineReplicaSpec } from '../model.js';
import { engineRaidName } from '../node/naming.js';
import type { EngineSpec, RebuildRecord, RebuildView } from '../node/state-file.js';
import { rebuildKey, type Job } from './active-rebuilds.js';

/** Why a rebuild has the path it has when spdk_tgt, not this service, started it. */
export const SPDK_STARTED_REASON = 'started by spdk_tgt on re-assembly';

/** What of the line (Rebuilds) a found rebuild joins it through. */
export interface RebuildLine {
  has(key: string): boolean;
  enqueue(engine: string, member: Readonly<EngineReplicaSpec>, createdAtMs: number, mode: 'adopt' | 'spdk-started' | 'fresh', view?: Readonly<RebuildView>): Job;
  dropRecord(engine: string, replica: string): Promise<void>;
  now(): number;
}

type RestartContext = Pick<DomainContext, 'spdk' | 'inventory' | 'log'>;

/**
 * After a restart: a member that was in the raid with spdk_tgt's process still running is
 * re-adopted (followed to its end); one whose process ended while we were away is done if it
 * is configured; one that never reached the raid starts again from the queue (snapshots already
 * on the new replica are kept and skipped).
 */
export async function recoverRebuilds(
  ctx: RestartContext,
  records: EngineRecords,
  engines: Engines,
  line: RebuildLine,
  options?: CallOptions,
): Promise<{ adopted: string[]; requeued: string[]; finished: string[] }> {
  const adopted: string[] = [];
  const requeued: string[] = [];
  const finished: string[] = [];
  const raids = new Map((await ctx.spdk.raid.getBdevs('all', options)).map((r) => [r.name, r]));
  const inRaid = (record: RebuildRecord): number => (record.phase === 'rebuilding' ? 0 : 1);
  for (const spec of records.all()) {
    // Those spdk_tgt may still be rebuilding first: an engine's others queue behind them.
    const recorded = Object.entries(spec.rebuilding ?? {}).sort(([, a], [, b]) => inRaid(a) - inRaid(b));
    for (const [replicaName, record] of recorded) {
      const member = spec.replicas.find((r) => r.name === replicaName);
      const key = `${spec.name}/${replicaName}`;
      // Adopted already (a rebuild spdk_tgt started, found by a reconcile before this ran).
      if (line.has(key)) continue;
      if (!member) {
        await line.dropRecord(spec.name, replicaName);
        continue;
      }
      const raid = raids.get(engineRaidName(spec.name));
      // After examine a local member's slot (and the process on it) is listed under its lvol's uuid.
      const names = memberSlotNames(spec.name, member, ctx);
      const slot = raid?.base_bdevs_list.find((b) => b.name !== null && names.includes(b.name));
      if (record.phase === 'rebuilding' && raid?.process && names.includes(raid.process.target)) {
        const job = line.enqueue(spec.name, member, record.createdAtMs, 'adopt', record.view);
        job.info.reason = 'service restarted; following the raid rebuild spdk_tgt kept running';
        job.startedBySpdk = record.view?.pathReason === SPDK_STARTED_REASON;
        adopted.push(key);
      } else if (record.phase === 'rebuilding' && slot?.is_configured && !raid?.process) {
        await line.dropRecord(spec.name, replicaName);
        finished.push(key);
      } else {
        if (slot) await engines.leaveRaid(spec.name, member, options).catch(() => undefined);
        const job = line.enqueue(spec.name, member, record.createdAtMs, 'fresh');
        job.resumedCopy = record.phase === 'copying-snapshots';
        job.info.reason = `service restarted during ${record.phase}; started again`;
        requeued.push(key);
      }
    }
  }
  if (adopted.length + requeued.length + finished.length > 0) ctx.log.info({ adopted, requeued, finished }, 'rebuilds recovered');
  return { adopted, requeued, finished };
}

/**
 * Rebuilds spdk_tgt started by itself: examine re-added a member that a superblock raid had lost
 * (transcript 17) and raid1 rebuilds it without being asked. Each gets a record (path `raid`,
 * SPDK_STARTED_REASON) and is followed like any other, so its progress, percent and outcome are
 * reported and persisted. Members with a record or a job are the rebuilds' own already.
 * `raidsRead`: the raids as the caller's pass just listed them (the monitor's); listed here without.
 */
export async function adoptSpdkStarted(
  ctx: RestartContext,
  records: EngineRecords,
  status: Pick<EngineStatus, 'changed'>,
  line: RebuildLine,
  options?: CallOptions,
  raidsRead?: ReadonlyMap<string, RaidBdev>,
): Promise<string[]> {
  const specs = records.all().filter((s) => !s.creating);
  if (specs.length === 0) return [];
  const raids = raidsRead ?? new Map((await ctx.spdk.raid.getBdevs('all', options)).map((r) => [r.name, r]));
  const adopted: string[] = [];
  for (const spec of specs) {
    const target = raids.get(engineRaidName(spec.name))?.process?.target;
    if (!target) continue;
    const member = spec.replicas.find((r) => memberSlotNames(spec.name, r, ctx).includes(target));
    if (!member || line.has(rebuildKey(spec.name, member.name)) || hasRebuild(spec, member.name)) continue;
    const createdAtMs = line.now();
    const view: RebuildView = { path: 'raid', pathReason: SPDK_STARTED_REASON, source: '', snapshots: [], raidBaseBytes: 0, bytesDone: 0, bytesTotal: spec.sizeBytes, percent: 0 };
    const recorded = await records.edit(spec.name, async (edit) => {
      const current = edit.current;
      if (!current?.replicas.some((r) => r.name === member.name) || hasRebuild(current, member.name) || line.has(rebuildKey(spec.name, member.name))) return false;
      await edit.recordRebuild(member.name, { createdAtMs, phase: 'rebuilding', view });
      return true;
    });
    if (!recorded) continue;
    const job = line.enqueue(spec.name, member, createdAtMs, 'spdk-started', view);
    job.info.reason = `${SPDK_STARTED_REASON}; following it`;
    job.startedBySpdk = true;
    adopted.push(rebuildKey(spec.name, member.name));
    ctx.log.info({ engine: spec.name, replica: member.name, target }, 'rebuild started by spdk_tgt adopted: recorded and followed');
    status.changed(spec.name, 'modified', `replica ${member.name} rebuilding (${SPDK_STARTED_REASON})`);
  }
  return adopted;
}

/** Member names are the caller's: `constructor` is one like any other. */
function hasRebuild(spec: EngineSpec, replica: string): boolean {
  return spec.rebuilding !== undefined && Object.hasOwn(spec.rebuilding, replica);
}
