/**
 * One volume's I/O as `engine get` and `engine stats` show it: the counters of the last
 * bdev_get_iostat reading of its raid and the rates over the window between the last two, mean
 * latency included. Read from the same cache the metrics read (volume-io.ts): no call to spdk_tgt.
 */
import type { VolumeIo, VolumeIoCounters } from './volume-io.js';

export interface VolumeIoReading extends VolumeIoCounters {
  /** When spdk_tgt answered (ms since the epoch). */
  sampledAtMs: number;
}

export interface VolumeIoWindow {
  readOpsPerSec: number;
  writeOpsPerSec: number;
  readBytesPerSec: number;
  writeBytesPerSec: number;
  /** Mean latency of the window's reads (writes), seconds; 0 without any. */
  readLatencyAvgSec: number;
  writeLatencyAvgSec: number;
  /** 0: no window (fewer than two readings, or the raid was made again between them). */
  windowSec: number;
}

export interface VolumeStats {
  engine: string;
  io: VolumeIoReading | undefined;
  rates: VolumeIoWindow;
  /** Why there is no reading or no window; empty when there are both. */
  reason: string;
}

const NO_WINDOW: VolumeIoWindow = { readOpsPerSec: 0, writeOpsPerSec: 0, readBytesPerSec: 0, writeBytesPerSec: 0, readLatencyAvgSec: 0, writeLatencyAvgSec: 0, windowSec: 0 };

export function volumeStats(source: Pick<VolumeIo, 'lastTwo'>, engine: string): VolumeStats {
  const { previous, last } = source.lastTwo();
  const now = last?.engines.get(engine);
  if (!last || !now) return { engine, io: undefined, rates: NO_WINDOW, reason: 'not read yet: the volume I/O is read every metrics.iostatPeriodMs (0: never)' };
  const io = { ...now, sampledAtMs: last.at };
  const before = previous?.engines.get(engine);
  if (!previous || !before || last.at <= previous.at) return { engine, io, rates: NO_WINDOW, reason: 'read once so far: rates need a second reading' };
  // A raid made again (or spdk_tgt restarted) counts from zero: no rate over that window.
  if (now.readOps < before.readOps || now.writeOps < before.writeOps) return { engine, io, rates: NO_WINDOW, reason: 'the counters started over (raid made again); rates at the next reading' };
  const secs = (last.at - previous.at) / 1000;
  const reads = now.readOps - before.readOps;
  const writes = now.writeOps - before.writeOps;
  return {
    engine,
    io,
    rates: {
      readOpsPerSec: reads / secs,
      writeOpsPerSec: writes / secs,
      readBytesPerSec: (now.readBytes - before.readBytes) / secs,
      writeBytesPerSec: (now.writeBytes - before.writeBytes) / secs,
      readLatencyAvgSec: reads > 0 ? (now.readLatencySec - before.readLatencySec) / reads : 0,
      writeLatencyAvgSec: writes > 0 ? (now.writeLatencySec - before.writeLatencySec) / writes : 0,
      windowSec: secs,
    },
    reason: '',
  };
}
