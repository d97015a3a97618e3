/**
 * Per-volume QoS: bdev_set_qos_limit on the engine's raid bdev (every host I/O of the volume
 * passes it; members and rebuilds are not limited), persisted in the engine record and put back
 * whenever spdk_tgt lost it (after a restart the raid is new and has no limits: reconcile's engine
 * pass and EngineRepair call `reapply`).
 *
 * spdk_tgt's rules (transcript 19, lib/bdev/bdev.c): an IOPS limit is rounded up to a multiple of
 * 1000 without an error; MB/s limits are whole MiB/s, clamped above 2^44 - 1 and u64 max means
 * "not given"; 0 clears a limit; limits not given are kept. The service always sends all four, so
 * the record is exactly what applies, and the rounding is done here and reported to the caller.
 */
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { Bdev } from '../../spdk/methods/bdev.js';
import type { DomainContext } from '../node/context.js';
import { checkName, engineRaidName } from '../node/naming.js';
import { isGone } from '../node/spdk-verdicts.js';
import type { EngineSpec } from '../node/state-file.js';
import type { QosLimits } from '../model.js';
import type { EngineRecords } from './engine-records.js';

/** SPDK_BDEV_QOS_MIN_IOS_PER_SEC: IOPS limits are multiples of it. */
export const IOPS_UNIT = 1000;
/** The largest MB/s spdk_tgt keeps as given (larger values are clamped to it). */
export const MAX_MBYTES_PER_SEC = 2 ** 44 - 1;
/** Far above any device, and exact in a double after rounding. */
export const MAX_IOS_PER_SEC = 1_000_000_000_000;

export const NO_LIMITS: QosLimits = { rwIosPerSec: 0, rwMbytesPerSec: 0, rMbytesPerSec: 0, wMbytesPerSec: 0 };

const FIELDS = [
  ['rwIosPerSec', 'rw_ios_per_sec'],
  ['rwMbytesPerSec', 'rw_mbytes_per_sec'],
  ['rMbytesPerSec', 'r_mbytes_per_sec'],
  ['wMbytesPerSec', 'w_mbytes_per_sec'],
] as const satisfies ReadonlyArray<readonly [keyof QosLimits, string]>;

/** What a QoS set did: the limits now in force, and each value spdk_tgt's rules changed. */
export interface QosOutcome {
  limits: QosLimits;
  adjustments: string[];
}

/**
 * The limits spdk_tgt will apply for `requested` (unset fields keep `current`), with a line for
 * each value its rules change. Values out of range are refused: nothing is sent.
 */
export function qosToApply(requested: Partial<QosLimits>, current: QosLimits): QosOutcome {
  const limits = { ...current };
  const adjustments: string[] = [];
  for (const [key, wire] of FIELDS) {
    const value = requested[key];
    if (value === undefined) continue;
    const max = key === 'rwIosPerSec' ? MAX_IOS_PER_SEC : MAX_MBYTES_PER_SEC;
    if (!Number.isSafeInteger(value) || value < 0 || value > max) {
      throw new ConductorError('INVALID_ARGUMENT', `${wire} must be a whole number from 0 (unlimited) to ${max}, got ${value}`, { field: wire });
    }
    let applied = value;
    if (key === 'rwIosPerSec' && value % IOPS_UNIT !== 0) {
      applied = Math.ceil(value / IOPS_UNIT) * IOPS_UNIT;
      adjustments.push(`${wire} ${value} rounded up to ${applied} (spdk_tgt counts IOPS in multiples of ${IOPS_UNIT})`);
    }
    limits[key] = applied;
  }
  return { limits, adjustments };
}

export class EngineQos {
  constructor(
    private readonly ctx: Pick<DomainContext, 'spdk' | 'client' | 'log'>,
    private readonly records: EngineRecords,
  ) {}

  /** Sets the volume's limits (unset fields keep theirs) and records them; answers what applies. */
  async set(name: string, requested: Partial<QosLimits>, options?: CallOptions): Promise<QosOutcome> {
    checkName('volume', name);
    return this.records.edit(name, async (edit) => {
      const spec = edit.current;
      if (!spec) throw new ConductorError('ENGINE_NOT_FOUND', `engine ${name} does not exist on this node`);
      const before = spec.qos ?? NO_LIMITS;
      const outcome = qosToApply(requested, before);
      await this.apply(spec.name, outcome.limits, options);
      try {
        await edit.setQos(outcome.limits);
      } catch (error) {
        // Not recorded: the raid goes back to what the record says, so both agree.
        await this.apply(spec.name, before, options).catch(() => undefined);
        throw error;
      }
      this.ctx.log.info({ engine: name, qos: outcome.limits, adjustments: outcome.adjustments }, 'engine QoS limits set');
      return outcome;
    });
  }

  /**
   * Puts the recorded limits back on the raid where spdk_tgt lacks them (a restarted spdk_tgt, a
   * raid made again). Engines whose raid is missing are skipped: their repair calls this again.
   */
  async reapply(specs: readonly EngineSpec[], options?: CallOptions): Promise<string[]> {
    const applied: string[] = [];
    for (const spec of specs) {
      if (!spec.qos || spec.creating) continue;
      let bdev: Bdev | undefined;
      try {
        [bdev] = await this.ctx.spdk.bdev.getBdevs({ name: engineRaidName(spec.name) }, options);
      } catch (error) {
        if (isGone(this.ctx, error)) continue;
        throw error;
      }
      if (!bdev || sameLimits(inForce(bdev), spec.qos)) continue;
      await this.apply(spec.name, spec.qos, options);
      applied.push(spec.name);
      this.ctx.log.info({ engine: spec.name, qos: spec.qos }, 'engine QoS limits put back on its raid');
    }
    return applied;
  }

  private apply(name: string, limits: QosLimits, options?: CallOptions): Promise<boolean> {
    return this.ctx.spdk.bdev.setQosLimit(
      {
        name: engineRaidName(name),
        rw_ios_per_sec: limits.rwIosPerSec,
        rw_mbytes_per_sec: limits.rwMbytesPerSec,
        r_mbytes_per_sec: limits.rMbytesPerSec,
        w_mbytes_per_sec: limits.wMbytesPerSec,
      },
      options,
    );
  }
}

/** The raid's limits as bdev_get_bdevs shows them (assigned_rate_limits). */
function inForce(bdev: Bdev): QosLimits {
  const limits = bdev.assigned_rate_limits;
  return {
    rwIosPerSec: limits?.rw_ios_per_sec ?? 0,
    rwMbytesPerSec: limits?.rw_mbytes_per_sec ?? 0,
    rMbytesPerSec: limits?.r_mbytes_per_sec ?? 0,
    wMbytesPerSec: limits?.w_mbytes_per_sec ?? 0,
  };
}

function sameLimits(a: QosLimits, b: QosLimits): boolean {
  return FIELDS.every(([key]) => a[key] === b[key]);
}
