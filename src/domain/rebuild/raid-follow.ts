/**
 * The raid phase of a rebuild: spdk_tgt's rebuild process on the new member, read by the raid's
 * name until it ends, its blocks turned into the rebuild's bytes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ConductorError } from '../../errors.js';
import type { DomainContext } from '../node/context.js';
import type { EngineStatus } from '../engine/engine-status.js';
import { memberSlotNames } from '../engine/members.js';
import { engineRaidName } from '../node/naming.js';
import { publishRebuild } from './rebuild-diagnostics.js';
import type { Job } from './active-rebuilds.js';

/** How often a running raid rebuild is read; before its process shows, more often. */
const FOLLOW_MS = 100;
const FOLLOW_FIRST_MS = 20;

export interface RaidFollow {
  ctx: Pick<DomainContext, 'inventory' | 'log'>;
  status: Pick<EngineStatus, 'raidByName'>;
  now(): number;
  /** The volume's size: what the raid rebuild copies into the member. */
  sizeBytes: number;
  /** The bytes done so far, the raid's on top of what the rebuild did before it joined. */
  progress(bytesDone: number): void;
}

/** Follows spdk_tgt's process until it ends; fails when the member leaves the raid. */
export async function followRaidRebuild(job: Job, follow: RaidFollow): Promise<void> {
  const { info, member } = job;
  const { ctx, status, now } = follow;
  const signal = job.abort.signal;
  info.state = 'rebuilding';
  const raidName = engineRaidName(info.engine);
  const names = memberSlotNames(info.engine, member, ctx);
  const bdev = names[0]!;
  const base = job.raidBase ?? info.bytesDone;
  const size = follow.sizeBytes;
  for (;;) {
    signal.throwIfAborted();
    const started = performance.now();
    // By name: every raid (~240 KB of JSON at 500 engines) each poll of each rebuild held the main loop.
    const raid = await status.raidByName(raidName, { signal });
    if (!raid) throw new ConductorError('ENGINE_BROKEN', `raid ${raidName} is gone`);
    const slot = raid.base_bdevs_list.find((b) => b.name !== null && names.includes(b.name));
    const process = raid.process && names.includes(raid.process.target) ? raid.process : undefined;
    if (process) {
      if (info.processStartedAtMs === 0) {
        info.processStartedAtMs = now();
        ctx.log.info({ engine: info.engine, replica: info.replica, afterMs: info.processStartedAtMs - info.createdAtMs }, 'raid rebuild process started');
        publishRebuild('process-started', info, info.processStartedAtMs);
      }
      const total = raid.base_bdevs_list[0]?.data_size ?? 0;
      info.raid = { member: process.target, percent: process.progress.percent, blocks: process.progress.blocks };
      info.reason = `spdk_tgt is rebuilding ${process.target}: ${process.progress.percent}%`;
      const done = total > 0 ? (process.progress.blocks / total) * size : (process.progress.percent / 100) * size;
      follow.progress(base + done);
    } else if (slot?.is_configured && (info.processStartedAtMs > 0 || !raid.process)) {
      if (info.processStartedAtMs === 0) info.processStartedAtMs = now();
      info.raid = { member: slot.name ?? bdev, percent: 100, blocks: raid.base_bdevs_list[0]?.data_size ?? 0 };
      follow.progress(base + size);
      return;
    } else if (!slot) {
      throw new ConductorError(
        'REPLICA_UNREACHABLE',
        `${bdev} left the raid during the rebuild (${info.raid ? `at ${info.raid.percent}%` : 'before its process started'}): the new replica or the last source was lost`,
      );
    } else if (raid.process && !names.includes(raid.process.target)) {
      info.reason = `waiting: spdk_tgt is rebuilding another member (${raid.process.target}) first`;
    }
    // Fast until spdk_tgt's process shows (its start latency is a figure we report), then calm.
    const period = info.processStartedAtMs === 0 ? FOLLOW_FIRST_MS : FOLLOW_MS;
    await sleep(Math.max(0, period - (performance.now() - started)), undefined, { signal });
  }
}
