/**
 * bdev_get_iostat, bdev_reset_iostat and bdev_set_qos_limit as lib/bdev/bdev_rpc.c answers them
 * (transcript 19): decode failures -32603, a missing bdev -19, per_channel only for one named
 * bdev (-22), a reset after the read with `reset_mode`; QoS IOPS rounded up to a multiple of 1000,
 * MB/s clamped to 2^44-1, a request with no limit (UINT64_MAX means "not given") -22.
 */
import { POLL_GROUP_THREAD, SimRpcError, type SimBdev } from '../core/contract.js';
import { objectDecoder, type ParamSpec } from '../core/decode.js';
import { errno, strerror } from '../core/errno.js';
import { RESET_MODES, TICK_RATE, ticksNow, type ResetMode } from '../core/io-stats.js';
import { normalizeLimit, QOS_LIMIT_NAMES, type QosLimitName } from '../core/qos.js';
import type { CoreTarget } from '../core/target.js';

/** schema.json's params of these methods (checked against it by test/sim/modules/iostat.test.ts). */
export const IOSTAT_PARAM_SPECS = {
  bdev_get_iostat: [
    { name: 'names', type: { array: 'string', maxCount: 1024 } },
    { name: 'per_channel', type: 'boolean' },
    { name: 'reset_mode', type: { enum: RESET_MODES } },
  ],
  bdev_reset_iostat: [
    { name: 'name', type: 'string' },
    { name: 'mode', type: { enum: RESET_MODES } },
  ],
  bdev_set_qos_limit: [{ name: 'name', type: 'string', required: true }, ...QOS_LIMIT_NAMES.map((name) => ({ name, type: 'uint64' as const }))],
} as const satisfies Record<string, readonly ParamSpec[]>;

const noDevice = () => new SimRpcError(-errno.ENODEV, strerror(errno.ENODEV));

/** UINT64_MAX is what the decoder leaves in a limit nobody gave; as a JSON number it reads as 2^64. */
function notGiven(v: unknown): boolean {
  return v === undefined || (typeof v === 'bigint' ? v >= 2n ** 64n - 1n : (v as number) >= 2 ** 64 - 1);
}

export function registerIostat(target: CoreTarget): void {
  const registry = target.bdevs;

  /** The iostat view of a bdev: an exported bdev has its poll group channel before any I/O. */
  const statsOf = (bdev: SimBdev) => {
    const stats = registry.statsOf(bdev);
    if (bdev.claim?.module === 'nvmf_tgt') stats.openChannel(POLL_GROUP_THREAD);
    return stats;
  };

  target.register('bdev_get_iostat', {
    decode: objectDecoder(IOSTAT_PARAM_SPECS.bdev_get_iostat),
    handler: (params) => {
      const p = (params ?? {}) as { names?: string[]; per_channel?: boolean; reset_mode?: ResetMode };
      const reset = p.reset_mode ?? 'none';
      if (p.per_channel && p.names?.length !== 1) throw new SimRpcError(-errno.EINVAL, strerror(errno.EINVAL));
      if (p.per_channel) {
        const bdev = registry.get(p.names![0]!);
        if (bdev === undefined) throw noDevice();
        const channels = statsOf(bdev).perChannel(reset);
        return { tick_rate: TICK_RATE, ticks: ticksNow(), name: bdev.name, channels };
      }
      const entries: Array<Record<string, unknown>> = [];
      // By name, spdk stops at the first missing bdev, after the ones before it were read (and reset).
      for (const bdev of p.names === undefined ? registry.list() : p.names.map((n) => registry.get(n))) {
        if (bdev === undefined) throw noDevice();
        const specific = bdev.deviceStat?.();
        entries.push({ name: bdev.name, ...statsOf(bdev).device(reset), ...(specific !== undefined ? { driver_specific: specific } : {}) });
      }
      return { tick_rate: TICK_RATE, ticks: ticksNow(), bdevs: entries };
    },
  });

  target.register('bdev_reset_iostat', {
    decode: objectDecoder(IOSTAT_PARAM_SPECS.bdev_reset_iostat),
    handler: (params) => {
      const p = (params ?? {}) as { name?: string; mode?: ResetMode };
      const mode = p.mode ?? 'all';
      // Mode "none" answers before the name is even looked up.
      if (mode === 'none') return true;
      if (p.name !== undefined) {
        const bdev = registry.get(p.name);
        if (bdev === undefined) throw noDevice();
        registry.statsOf(bdev).reset(mode);
        return true;
      }
      for (const bdev of registry.list()) registry.statsOf(bdev).reset(mode);
      return true;
    },
  });

  target.register('bdev_set_qos_limit', {
    decode: objectDecoder(IOSTAT_PARAM_SPECS.bdev_set_qos_limit),
    handler: (params) => {
      const p = params as { name: string } & Partial<Record<QosLimitName, number>>;
      const bdev = registry.get(p.name);
      if (bdev === undefined) throw noDevice();
      const given = QOS_LIMIT_NAMES.filter((n) => !notGiven(p[n]));
      if (given.length === 0) throw new SimRpcError(-errno.EINVAL, 'No rate limits specified');
      const values: Partial<Record<QosLimitName, number>> = {};
      for (const name of given) {
        const { value, warning } = normalizeLimit(name, Number(p[name]));
        if (warning) target.log('bdev_qos_limit_adjusted', { bdev: bdev.name, limit: name, warning });
        values[name] = value;
      }
      registry.qosOf(bdev).set(values);
      return true;
    },
  });
}
