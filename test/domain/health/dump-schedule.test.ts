/**
 * The dump schedule's spacing (src/domain/health/dump-schedule.ts): a large dump's gap counts both
 * sides of its cost, spdk_tgt's RPC (dumpMs) and the service's read of the file (readMs), so that
 * it takes at most 1/spacing of each; a small dump is never kept.
 */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { DmaReading, DumpRead } from '../../../src/domain/health/dma-reading.js';
import { DumpSchedule } from '../../../src/domain/health/dump-schedule.js';
import type { MemDump } from '../../../src/spdk/mem-dump.js';

const MIB = 1024 * 1024;

function dumpRead(segments: number, dumpMs: number, readMs: number): DumpRead {
  const dump = { segments: { count: segments, bytes: segments * 4096, pageSizes: [4096], bytesByPageSize: new Map([[4096, segments * 4096]]) } } as MemDump;
  return { dump, filename: '/tmp/spdk_mem_dump.txt', dumpMs, readMs };
}

/** Plenty of room: the schedule keeps a dump only while memory is not tight. */
const ROOMY = { availableBytes: 1024 * MIB } as DmaReading;

function schedule(spacing: number) {
  const logs: Array<{ msg: string; [k: string]: unknown }> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logs.push(JSON.parse(line) as (typeof logs)[number]) });
  return { s: new DumpSchedule(spacing, log), logs };
}

describe('DumpSchedule', () => {
  it("spaces a large dump by spacing x (spdk_tgt's dump + the service's read)", () => {
    const { s, logs } = schedule(50);
    const read = dumpRead(524_288, 600, 40);
    s.took(read, 0, 2000);
    // 50 x (600 + 40) = 32 s: kept until then, asked again after.
    expect(s.kept(31_999, ROOMY, 32 * MIB)?.read).toBe(read);
    expect(s.kept(32_000, ROOMY, 32 * MIB)).toBeUndefined();
    expect(logs).toEqual([expect.objectContaining({ dumpMs: 600, readMs: 40, everyMs: 32_000 })]);
  });

  it("counts the read even when spdk_tgt's side is quick", () => {
    const { s } = schedule(50);
    s.took(dumpRead(524_288, 0, 200), 0, 2000);
    expect(s.kept(9_999, ROOMY, 32 * MIB)).toBeDefined();
    expect(s.kept(10_000, ROOMY, 32 * MIB)).toBeUndefined();
  });

  it('never keeps a small dump, nor any while memory is tight, and says when the spacing ends', () => {
    const { s, logs } = schedule(50);
    s.took(dumpRead(524_288, 600, 40), 0, 2000);
    expect(s.kept(1000, { availableBytes: 100 * MIB } as DmaReading, 32 * MIB)).toBeUndefined();
    s.took(dumpRead(400, 5, 1), 2000, 2000);
    expect(s.kept(2001, ROOMY, 32 * MIB)).toBeUndefined();
    expect(logs.at(-1)).toMatchObject({ msg: 'the memory dump is asked for at each sample again', dumpMs: 5, readMs: 1 });
  });
});
