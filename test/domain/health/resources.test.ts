/**
 * NodeResources against real simulator processes: admission refuses what spdk_tgt's DMA heap or
 * its subsystem table cannot take (and spdk_tgt agrees), reservations add up until released or
 * seen by a later sample, the rebuild throttle follows free memory and RPC latency with
 * hysteresis and is read back from spdk_tgt's own config, and a dead spdk_tgt blocks nothing.
 * The node's hugepages come from a fixture directory (transcript 14's 1658 of 2048 free).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { Config, ConfigKey } from '../../../src/config/schema.js';
import { CLEAN_SAMPLES_TO_RELEASE, CONTROLLER_DMA_BYTES, NodeResources, SUBSYSTEM_RECOUNT_MS, type ResourcesOptions } from '../../../src/domain/health/resources.js';
import { percentile, reactorLoad, reactorMode, USER_HZ, type ReactorsReading } from '../../../src/domain/health/reading-math.js';
import type { ThrottleInfo } from '../../../src/domain/model.js';
import { ConductorError, type ErrorCode } from '../../../src/errors.js';
import { SpdkClient } from '../../../src/spdk/client.js';
import { SpdkMethods, type Reactors } from '../../../src/spdk/methods/index.js';
import { startSim, type RunningSim } from '../../sim/helpers/start-sim.js';
import { writeStat } from './helpers/fake-proc.js';

const MIB = 1024 * 1024;
const NODE_ROOT = fileURLToPath(new URL('../fixtures/resources/node', import.meta.url));

interface Node {
  sim: RunningSim;
  client: SpdkClient;
  spdk: SpdkMethods;
  logs: Array<{ level: number; msg: string; [k: string]: unknown }>;
  resources(config?: Partial<Record<ConfigKey, number | string>>, extra?: Partial<ResourcesOptions>): NodeResources;
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

/** Tests sample by hand unless they set a period: the timer then never fires during the test. */
/** Sampled by hand; every sample reads the heap (the large-dump spacing has its own tests). */
const MANUAL: Partial<Record<ConfigKey, number>> = { 'health.samplePeriodMs': 600_000, 'health.reactorBusyMaxPct': 100, 'health.memDumpSpacing': 0 };

async function node(args: string[]): Promise<Node> {
  const sim = await startSim({ name: 'R', args });
  const client = new SpdkClient({ socketPath: sim.socket, logger: pino({ level: 'silent' }) });
  cleanup.push(async () => {
    await client.close();
    await sim.stop();
  });
  const logs: Node['logs'] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(JSON.parse(line) as Node['logs'][number]) });
  const spdk = new SpdkMethods(client);
  return {
    sim,
    client,
    spdk,
    logs,
    resources(config = {}, extra = {}) {
      const r = new NodeResources({ spdk, client, log, config: { ...loadConfig(), ...MANUAL, ...config } as Config, hostRoot: NODE_ROOT, ...extra });
      cleanup.push(() => r.close());
      return r;
    },
  };
}

async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function refusal(work: Promise<unknown>, code: ErrorCode = 'DMA_EXHAUSTED'): Promise<ConductorError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConductorError);
  expect((err as ConductorError).code).toBe(code);
  return err as ConductorError;
}

/** spdk_tgt's own record of the raid options (framework_get_config, as transcript 14 line 4785 shows it). */
async function raidOptions(client: SpdkClient): Promise<{ process_window_size_kb: number; process_max_bandwidth_mb_sec: number }> {
  const config = await client.callUnchecked<Array<{ method: string; params: Record<string, number> }>>('framework_get_config', { name: 'bdev' });
  return config.find((c) => c.method === 'bdev_raid_set_options')!.params as { process_window_size_kb: number; process_max_bandwidth_mb_sec: number };
}

/** A raid1 "rr" of m0 + m1 with m1 taken out again, ready for a rebuild onto m1. */
async function degradedRaid(spdk: SpdkMethods, create: (name: string) => Promise<unknown>): Promise<void> {
  await create('m0');
  await create('m1');
  await spdk.raid.create({ name: 'rr', raid_level: 'raid1', base_bdevs: ['m0', 'm1'] });
  await spdk.raid.removeBaseBdev({ name: 'm1' });
}

/** Adds m1 back and resolves with how long its rebuild took, ms. */
async function rebuild(spdk: SpdkMethods): Promise<number> {
  const t0 = performance.now();
  await spdk.raid.addBaseBdev({ raid_bdev: 'rr', base_bdev: 'm1' });
  await waitFor('the rebuild to finish', async () => (await spdk.raid.getBdevs())[0]!.process === undefined, 30_000);
  return performance.now() - t0;
}

describe('admission of a rebuild', () => {
  it('refuses one whose 16 windows find no piece big enough, with the numbers; spdk_tgt agrees both ways', async () => {
    // A legacy 1024 MiB heap: ~253 MiB free, but in pieces of at most 18 MiB (transcript 14, phase 1).
    const n = await node(['--mem-mib', '1024']);
    const big = n.resources({ 'rebuild.windowKb': 2048 });
    await big.start();
    const dma = big.snapshot()!.dma;
    expect(dma).toMatchObject({ mode: 'hugepages', growablePages: null, largestPieceBytes: 18 * MIB });
    const free = (dma.freeBytes / MIB).toFixed(1);
    const err = await refusal(big.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-1' }));
    expect(err.message).toBe(
      `rebuild of r2 into vol-1 needs 32.0 MiB of DMA memory (16 × 2048 KiB rebuild windows) in one piece; spdk_tgt has ${free} MiB free, ` +
        'largest piece 18.0 MiB, 0 MiB reserved by running work, 32 MiB kept for I/O ' +
        "(a fixed heap of 1024 MiB of 2 MiB hugepages that maps no more pages: the simulator's --mem-mib)",
    );
    expect(err.details).toMatchObject({ kind: 'rebuild', needBytes: 32 * MIB, largestPieceBytes: 18 * MIB, mode: 'hugepages' });

    // spdk_tgt, with the 2048 KiB window NodeResources applied, fails that rebuild the same way.
    expect(await raidOptions(n.client)).toEqual({ process_window_size_kb: 2048, process_max_bandwidth_mb_sec: 0 });
    await degradedRaid(n.spdk, (name) => n.spdk.bdev.nullCreate({ name, num_blocks: 8192, block_size: 4096 }));
    await expect(n.spdk.raid.addBaseBdev({ raid_bdev: 'rr', base_bdev: 'm1' })).rejects.toMatchObject({
      rpcCode: -12,
      rpcMessage: 'Failed to add base bdev to RAID bdev: Cannot allocate memory',
    });

    // With 1024 KiB windows the 16 MiB fit in the 18 MiB piece: admitted, and spdk_tgt starts it.
    await big.close();
    const fits = n.resources({ 'rebuild.windowKb': 1024 });
    await fits.start();
    const reservation = await fits.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-1' });
    await rebuild(n.spdk);
    reservation.release();
  });

  it('counts the hugepages a dynamic heap can still map, and says how many', async () => {
    // spdk_tgt's default memory: 9 MiB free in the heap, which grows while the pool has pages.
    const n = await node(['--hugepages-free', '4']);
    const r = n.resources({ 'health.admissionReserveMib': 0 });
    await r.start();
    expect(r.snapshot()!.dma).toMatchObject({ mode: 'hugepages', growablePages: 4, largestPieceBytes: 8 * MIB });
    const err = await refusal(r.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-1' }));
    expect(err.message).toMatch(
      /^rebuild of r2 into vol-1 needs 16\.0 MiB of DMA memory \(16 × 1024 KiB rebuild windows\) in one piece; spdk_tgt has 9\.\d MiB free in its heap and can map 4 more hugepages \(8\.0 MiB\), largest piece 8\.0 MiB, 0 MiB reserved by running work, 0 MiB kept for I\/O \(hugepages: 4 free, 2 MiB each, in the simulator's pool\)$/,
    );
    await degradedRaid(n.spdk, (name) => n.spdk.bdev.nullCreate({ name, num_blocks: 8192, block_size: 4096 }));
    await expect(n.spdk.raid.addBaseBdev({ raid_bdev: 'rr', base_bdev: 'm1' })).rejects.toMatchObject({ rpcCode: -12 });

    // The node gets pages back: the next sample sees them and the rebuild is admitted and runs.
    await n.client.callUnchecked('sim_set_memory', { hugepages_free: 100 });
    await r.sample();
    const reservation = await r.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-1' });
    await rebuild(n.spdk);
    reservation.release();
  });

  it("counts no more pages than spdk_tgt's own container limit allows (health.spdkHugepagesLimitBytes), and says that limit is the bound", async () => {
    // 100 pages free in the pool; spdk_tgt's limit leaves it 4 more than it has mapped.
    const n = await node(['--hugepages-free', '100']);
    const { heap_size: mapped } = await n.client.callUnchecked<{ heap_size: number }>('sim_set_memory', {});
    const bdevsBefore = (await n.spdk.bdev.getBdevs()).map((b) => b.name);
    const tight = n.resources({ 'health.admissionReserveMib': 0, 'health.spdkHugepagesLimitBytes': `2Mi=${mapped + 4 * 2 * MIB}` });
    await tight.start();
    expect(tight.snapshot()!.dma).toMatchObject({ mode: 'hugepages', growablePages: 4, largestPieceBytes: 8 * MIB, bound: 'spdk_tgt limit' });
    expect(tight.snapshot()!.dma.bounds).toEqual([
      { bound: 'node pool', availablePages: 100 },
      { bound: 'spdk_tgt limit', availablePages: 4, limitBytes: mapped + 8 * MIB, usedBytes: mapped },
    ]);
    const err = await refusal(tight.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-1' }));
    const limitMib = Math.round(((mapped + 8 * MIB) / MIB) * 10) / 10;
    const mappedMib = Math.round((mapped / MIB) * 10) / 10;
    expect(err.message).toMatch(
      new RegExp(
        `^rebuild of r2 into vol-1 needs 16\\.0 MiB of DMA memory \\(16 × 1024 KiB rebuild windows\\) in one piece; spdk_tgt has \\d+\\.\\d MiB free in its heap and can map 4 more hugepages \\(8\\.0 MiB\\), largest piece 8\\.0 MiB, 0 MiB reserved by running work, 0 MiB kept for I/O ` +
          `\\(hugepages: 100 free, 2 MiB each, in the simulator's pool; spdk_tgt's limit \\(health\\.spdkHugepagesLimitBytes\\) of ${limitMib} MiB, ${mappedMib} MiB mapped, allows 4 more \\(the bound\\)\\)$`,
      ),
    );
    expect(err.details).toMatchObject({ needBytes: 16 * MIB, largestPieceBytes: 8 * MIB, hugepagesBound: 'spdk_tgt limit' });
    // Nothing changed: no hold is left, and spdk_tgt has what it had.
    expect(tight.snapshot()!.reserved).toEqual({ bytes: 0, subsystems: 0, count: 0 });
    expect((await n.spdk.bdev.getBdevs()).map((b) => b.name)).toEqual(bdevsBefore);
    await tight.close();

    // A limit with room past the pool's 100 pages: the pool is the bound again, and the rebuild is admitted and runs.
    const loose = n.resources({ 'health.admissionReserveMib': 0, 'health.spdkHugepagesLimitBytes': `2Mi=${mapped + 400 * 2 * MIB}` });
    await loose.start();
    expect(loose.snapshot()!.dma).toMatchObject({ growablePages: 100, bound: 'node pool' });
    expect(loose.snapshot()!.dma.bounds).toEqual([
      { bound: 'node pool', availablePages: 100 },
      { bound: 'spdk_tgt limit', availablePages: 400, limitBytes: mapped + 800 * MIB, usedBytes: mapped },
    ]);
    expect(loose.snapshot()!.dma.note).toMatch(/; spdk_tgt's limit \(health\.spdkHugepagesLimitBytes\) of [\d.]+ MiB, [\d.]+ MiB mapped, allows 400 more$/);
    await degradedRaid(n.spdk, (name) => n.spdk.bdev.nullCreate({ name, num_blocks: 8192, block_size: 4096 }));
    const reservation = await loose.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-1' });
    await rebuild(n.spdk);
    reservation.release();
  });

  it('says so when spdk_tgt runs with --no-huge, and refuses attaches too once the I/O reserve is reached', async () => {
    const n = await node(['--mem-mib', '1024', '--no-huge']);
    await n.client.callUnchecked('sim_set_memory', { consume_mib: 150 });
    const r = n.resources();
    await r.start();
    expect(r.snapshot()!.dma).toMatchObject({ mode: 'no-huge', growablePages: null, pageSizeBytes: 4096 });
    const err = await refusal(r.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-1' }));
    expect(err.message).toMatch(/spdk_tgt has 2\d\.\d MiB free, largest piece 2\d\.\d MiB, 0 MiB reserved by running work, 32 MiB kept for I\/O/);
    expect(err.message).toMatch(/\(spdk_tgt runs with --no-huge; its memory is the configured -s size: 1024 MiB\)$/);
    const attach = await refusal(r.admit({ kind: 'attach', what: 'engine vol-1', controllers: 3 }));
    expect(attach.message).toMatch(/^engine vol-1 needs 175\.5 KiB of DMA memory \(3 NVMe\/TCP controllers × 58\.5 KiB\); /);
    expect(attach.details).toMatchObject({ needBytes: 3 * CONTROLLER_DMA_BYTES });
  });
});

describe('reservations', () => {
  it('of rebuilds add up until released (release is idempotent)', async () => {
    // --no-huge 1024: ~177 MiB free in one block. Two rebuilds of 80 MiB each fit alone, not together.
    const n = await node(['--mem-mib', '1024', '--no-huge']);
    const r = n.resources({ 'rebuild.windowKb': 5120 });
    await r.start();
    const first = await r.admit({ kind: 'rebuild', what: 'rebuild of r1 into vol-1' });
    const err = await refusal(r.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-2' }));
    expect(err.message).toMatch(/^rebuild of r2 into vol-2 needs 80\.0 MiB .* 80\.0 MiB reserved by running work, 32 MiB kept for I\/O/);
    first.release();
    first.release();
    (await r.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-2' })).release();
    await expect(r.admit({ kind: 'attach', what: 'x', controllers: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('of a running rebuild stop counting once a sample taken a period after admission has seen its windows (no double counting)', async () => {
    const n = await node(['--mem-mib', '1024', '--no-huge']);
    // The period is long enough that the second admission below comes before a sample a period
    // after the first on a loaded machine (at 300 ms it once did not, at load 20).
    const r = n.resources({ 'rebuild.windowKb': 5120, 'health.samplePeriodMs': 1500 });
    await r.start();
    const held = await r.admit({ kind: 'rebuild', what: 'rebuild of r1 into vol-1' });
    const heldAt = Date.now();
    await refusal(r.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-2' }));
    // Its work would have allocated by now; a sample that started a period later includes that.
    await waitFor('a sample started a period after the reservation', () => (r.snapshot()?.at ?? 0) >= heldAt + 1500);
    expect(r.snapshot()!.reserved).toEqual({ bytes: 0, subsystems: 0, count: 0 });
    (await r.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-2' })).release();
    held.release();
  });

  it('of engines and attaches count on after release until a sample taken after it (their controllers outlive the work)', async () => {
    const n = await node(['--mem-mib', '1024', '--no-huge']);
    let clock = 1_000_000;
    const { free_size: free } = await n.client.callUnchecked<{ free_size: number }>('sim_set_memory', {});
    // Room for between 1 and 2 MiB of controllers above the I/O reserve.
    const reserveMib = Math.floor(free / MIB) - 1;
    // The period only matters on the test's clock; in real time it also sets each sample call's
    // deadline (2 × period, at least 2 s), and this heap's 45 MB dump took 2.3 s cold on a busy
    // machine: 5 s gives the 10 s deadline of the tests that sample by hand.
    const r = n.resources({ 'health.admissionReserveMib': reserveMib, 'health.samplePeriodMs': 5000 }, { now: () => clock });
    await r.start();
    const fits = Math.floor((free - reserveMib * MIB) / CONTROLLER_DMA_BYTES);
    const engine = await r.admit({ kind: 'engine', what: 'engine vol-1', controllers: fits, subsystems: 0 });
    await refusal(r.admit({ kind: 'attach', what: 'replica r3 of engine vol-1' }));
    clock += 10;
    engine.release();
    // Its controllers are attached now, and the last sample was taken before that.
    expect((await refusal(r.admit({ kind: 'attach', what: 'replica r3 of engine vol-1' }))).details).toMatchObject({ reservedBytes: fits * CONTROLLER_DMA_BYTES });
    clock += 1000;
    await r.sample();
    expect(r.snapshot()!.reserved).toEqual({ bytes: 0, subsystems: 0, count: 0 });
    (await r.admit({ kind: 'attach', what: 'replica r3 of engine vol-1' })).release();
  });

  it('count NVMe-oF subsystems against max_subsystems, the discovery subsystem included, until a count taken after release', async () => {
    const n = await node([]);
    let clock = 1_000_000;
    const r = n.resources({ 'health.samplePeriodMs': 1000 }, { maxSubsystems: 3, now: () => clock });
    await r.start();
    const a = await r.admit({ kind: 'export', what: 'export of r1' });
    const b = await r.admit({ kind: 'engine', what: 'engine vol-1', controllers: 2 });
    const err = await refusal(r.admit({ kind: 'export', what: 'export of r2' }), 'SPDK_LIMIT_REACHED');
    expect(err.message).toBe('export of r2 needs 1 NVMe-oF subsystem; spdk_tgt has 1 of its 3 (max_subsystems, the discovery subsystem included), 2 reserved by running work');
    // The work makes its subsystems and ends.
    await n.spdk.nvmf.createSubsystem({ nqn: 'nqn.2016-06.io.spdk:s1', allow_any_host: true });
    await n.spdk.nvmf.createSubsystem({ nqn: 'nqn.2016-06.io.spdk:s2', allow_any_host: true });
    clock += 10;
    a.release();
    b.release();
    b.release();
    expect((await refusal(r.admit({ kind: 'export', what: 'export of r2' }), 'SPDK_LIMIT_REACHED')).message).toMatch(/spdk_tgt has 1 of its 3 .*, 2 reserved by running work$/);
    // The next sample reads the count again (admission itself only reads the cache): it has them, and the holds are gone.
    clock += 1000;
    await r.sample();
    expect((await refusal(r.admit({ kind: 'export', what: 'export of r2' }), 'SPDK_LIMIT_REACHED')).message).toMatch(/spdk_tgt has 3 of its 3 .*, 0 reserved by running work$/);
    // Deleted behind the service's back: seen by the first sample SUBSYSTEM_RECOUNT_MS after the last list.
    await n.spdk.nvmf.deleteSubsystem({ nqn: 'nqn.2016-06.io.spdk:s2' });
    clock += 1000;
    await r.sample();
    expect((await refusal(r.admit({ kind: 'export', what: 'export of r2' }), 'SPDK_LIMIT_REACHED')).message).toMatch(/spdk_tgt has 3 of its 3 .*, 0 reserved by running work$/);
    clock += SUBSYSTEM_RECOUNT_MS;
    await r.sample();
    (await r.admit({ kind: 'export', what: 'export of r2' })).release();
  });
});

describe('a large memory dump (--no-huge: one segment per 4 KiB page)', () => {
  it('is asked for at most every health.memDumpSpacing times its cost: samples between keep it, and holds count until a dump after them', async () => {
    const n = await node(['--mem-mib', '1024', '--no-huge']);
    let clock = 1_000_000;
    const r = n.resources({ 'health.memDumpSpacing': 1_000_000 }, { now: () => clock });
    await r.sample();
    const first = r.snapshot()!;
    expect(first.dma.readAt).toBe(first.at);
    expect(first.dma.dumpMs).toBeGreaterThan(0);
    expect(first.dma.readMs).toBeGreaterThanOrEqual(0);
    // Both sides of its cost: spdk_tgt's (the RPC) and the service's (reading the file).
    expect(n.logs.find((l) => l.msg.startsWith('the memory dump is slow'))).toMatchObject({
      level: 30,
      dumpMs: first.dma.dumpMs,
      readMs: first.dma.readMs,
      everyMs: 1_000_000 * (first.dma.dumpMs! + first.dma.readMs!),
    });
    const held = await r.admit({ kind: 'rebuild', what: 'rebuild of r1 into vol-1' });
    clock += 700_000;
    await r.sample();
    const second = r.snapshot()!;
    expect(second.at).toBe(clock);
    // Kept: read before the rebuild allocated, so its windows still count against it.
    expect(second.dma.readAt).toBe(first.at);
    expect(second.dma.freeBytes).toBe(first.dma.freeBytes);
    expect(second.reserved.bytes).toBeGreaterThan(0);
    held.release();
  });

  it('is asked for at every sample while memory is tight, and with spacing 0', async () => {
    const n = await node(['--mem-mib', '1024', '--no-huge']);
    let clock = 1_000_000;
    await n.client.callUnchecked('sim_set_memory', { consume_mib: 60 });
    const tight = n.resources({ 'health.memDumpSpacing': 1_000_000 }, { now: () => clock });
    const every = n.resources({ 'health.memDumpSpacing': 0 }, { now: () => clock });
    for (const r of [tight, every]) {
      await r.sample();
      clock += 700_000;
      await n.client.callUnchecked('sim_set_memory', { consume_mib: 70 });
      await r.sample();
      expect(r.snapshot()!.dma.readAt).toBe(clock);
      await n.client.callUnchecked('sim_set_memory', { consume_mib: 60 });
    }
  });
});

describe('the rebuild throttle', () => {
  it('engages when free DMA memory drops, limits rebuilds started from then on, and releases after two clean samples', async () => {
    const n = await node(['--mem-mib', '1024', '--no-huge']);
    await degradedRaid(n.spdk, (name) => n.spdk.bdev.mallocCreate({ name, num_blocks: 4096, block_size: 4096 }));
    const r = n.resources({ 'health.dmaFreeMinMib': 100, 'rebuild.maxMbSec': 0, 'rebuild.throttledMbSec': 16 });
    const events: ThrottleInfo[] = [];
    r.onThrottle((t) => events.push(t));
    await r.start();
    expect(r.throttle()).toMatchObject({ engaged: false, limitMbSec: 0, reason: expect.stringMatching(/^healthy: free DMA memory 14\d\.\d MiB ≥ 100 MiB/) });
    expect(await raidOptions(n.client)).toEqual({ process_window_size_kb: 1024, process_max_bandwidth_mb_sec: 0 });

    await n.client.callUnchecked('sim_set_memory', { consume_mib: 60 });
    await r.sample();
    expect(r.throttle()).toMatchObject({ engaged: true, limitMbSec: 16 });
    expect(r.throttle().reason).toMatch(/^free DMA memory 8\d\.\d MiB < 100 MiB: rebuilds limited to 16 MiB\/s .*applies to rebuild processes started from now on/);
    expect(events).toEqual([r.throttle()]);
    expect(await raidOptions(n.client)).toEqual({ process_window_size_kb: 1024, process_max_bandwidth_mb_sec: 16 });
    expect(n.logs.find((l) => l.msg.startsWith('rebuild throttle engaged'))).toMatchObject({ level: 40, limitMbSec: 16, breaches: [{ threshold: 100 }] });

    // A rebuild started now runs at 16 MiB/s and keeps that rate after the throttle is released.
    const throttled = rebuild(n.spdk);
    await n.client.callUnchecked('sim_set_memory', { consume_mib: 0 });
    await r.sample();
    expect(r.throttle()).toMatchObject({ engaged: true, reason: expect.stringMatching(/\(1 of 2 clean samples\)$/) });
    for (let i = 1; i < CLEAN_SAMPLES_TO_RELEASE; i++) await r.sample();
    expect(r.throttle()).toMatchObject({ engaged: false, limitMbSec: 0 });
    expect(events.map((e) => [e.engaged, e.limitMbSec])).toEqual([
      [true, 16],
      [false, 0],
    ]);
    expect(await raidOptions(n.client)).toEqual({ process_window_size_kb: 1024, process_max_bandwidth_mb_sec: 0 });
    // 16 MiB at 16 MiB/s: two windows at once, then one per 1/16 s (~0.9 s).
    expect(await throttled).toBeGreaterThan(700);
    await n.spdk.raid.removeBaseBdev({ name: 'm1' });
    // Started after the release, the next rebuild is not held to 16 MiB/s: it ends sooner than the
    // 14 windows after the first two could at that rate. How much sooner depends on how busy the
    // machine is (642 ms beside two CPU burners), so that floor is the bound, not a guess at speed.
    const floorAt16MbSec = 14 * (1000 / 16);
    expect(await rebuild(n.spdk)).toBeLessThan(floorAt16MbSec);
  });

  it("engages on spdk_tgt's RPC latency (its own sample calls are timed, and others' recorded) on the timer, and releases", async () => {
    const n = await node([]);
    const r = n.resources({ 'health.samplePeriodMs': 200, 'health.rpcLatencyMaxMs': 100 });
    await r.start();
    await n.client.callUnchecked('sim_rpc_delay', { method: 'framework_get_reactors', ms: 150 });
    await waitFor('the throttle to engage', () => r.throttle().engaged);
    // The injected 150 ms is a floor for the timed framework_get_reactors call (p90 of a sample's
    // two calls is the slower one), less a millisecond of timer granularity; how far above it the
    // reading lands depends on how busy the machine is, so there is no ceiling to assert.
    const reason = /^spdk_tgt RPC latency p90 (\d+) ms > 100 ms \(\d+ calls\)/.exec(r.throttle().reason);
    expect(reason, r.throttle().reason).not.toBeNull();
    expect(Number(reason![1])).toBeGreaterThanOrEqual(149);
    await n.client.callUnchecked('sim_rpc_delay', { method: 'framework_get_reactors', ms: 0 });
    await waitFor('the throttle to release', () => !r.throttle().engaged);

    // A bound far above what the sample's own timed calls take on a loaded machine (at 100 ms they
    // once engaged it by themselves, at load 20), so that the recorded latencies decide.
    const manual = n.resources({ 'health.rpcLatencyMaxMs': 2000 });
    await manual.start();
    for (let i = 0; i < 10; i++) manual.recordRpcLatency(i < 9 ? 5 : 8000);
    await manual.sample();
    expect(manual.throttle().engaged).toBe(false);
    for (let i = 0; i < 10; i++) manual.recordRpcLatency(i < 5 ? 5 : 8000);
    await manual.sample();
    expect(manual.throttle()).toMatchObject({ engaged: true, reason: expect.stringMatching(/^spdk_tgt RPC latency p90 8000 ms > 2000 ms/) });
  });

  // sim_reactor_load adds a set share of wall time to the reactor's CPU (and, polling, its busy
  // ticks): the load the sample reads is that share plus the simulator's own few %, however busy
  // the machine is. Samples a second apart: a jiffy is 1% of the interval.
  it.each([
    ['busy ticks of a polling reactor', [], /^busiest reactor (\d+)% busy > 50%/, /busiest reactor \d+% busy ≤ 50%/],
    ["an interrupt-mode reactor's core CPU", ['--interrupt-mode'], /^busiest reactor (\d+)% of core 0's CPU \(interrupt mode\) > 50%/, /busiest reactor \d+% of core 0's CPU \(interrupt mode\) ≤ 50%/],
  ])(
    'judges %s against health.reactorBusyMaxPct: engages above it, releases below',
    async (_what, args, engaged, healthy) => {
      const n = await node([...args]);
      const interrupt = args.length > 0;
      const r = n.resources({ 'health.samplePeriodMs': 1000, 'health.reactorBusyMaxPct': 50 });
      await r.start();
      expect(r.snapshot()!.reactorModes).toEqual([{ lcore: 0, interrupt }]);
      await waitFor('a reactor load', () => r.snapshot()!.reactors.length === 1);
      expect(r.snapshot()!.reactors[0]).toMatchObject({ lcore: 0, interrupt });
      // The simulator's own CPU is in the figure: on a busy machine it can pass 50% for a sample.
      await waitFor('the throttle released at idle', () => !r.throttle().engaged, 15_000);
      expect(r.throttle().reason).toMatch(healthy);
      if (interrupt) {
        // The simulator says its own pid is the reactor's tid: in this PID namespace that thread is
        // there, but its comm is not reactor_0, so the core's figure is used, and the log says so.
        expect(r.snapshot()!.reactors[0]).toMatchObject({ cpu: 'core' });
        expect(n.logs.find((l) => l.msg.startsWith("spdk_tgt's reactors:"))?.msg).toMatch(
          /^spdk_tgt's reactors: 0:interrupt\(core CPU\) \(an interrupt-mode reactor's load is its core's CPU share, other processes on the core included: spdk_tgt's reactor threads are not visible in \/proc/,
        );
      }
      await n.client.callUnchecked('sim_reactor_load', { pct: 80 });
      // The first sample after the load began straddles it: the throttle may engage on it (at
      // ~60%); the reading reaches 80% on the next.
      await waitFor('the throttle engaged with the reactor at 80%', () => r.throttle().engaged && (r.snapshot()!.reactors[0]?.busyPct ?? 0) >= 79, 15_000);
      const reason = engaged.exec(r.throttle().reason);
      expect(reason, r.throttle().reason).not.toBeNull();
      expect(Number(reason![1])).toBeGreaterThan(50);
      await n.client.callUnchecked('sim_reactor_load', { pct: 0 });
      await waitFor('the throttle to release', () => !r.throttle().engaged, 15_000);
      expect(r.throttle().reason).toMatch(healthy);
    },
    60_000,
  );
});

describe("an interrupt-mode reactor's own thread (a fake /proc)", () => {
  /**
   * The simulator's reactor thread as spdk_tgt's would be seen from its PID namespace: at
   * <root>/<pid>/task/<tid>/stat with the comm `comm`, its CPU time growing at `pct`% of wall time
   * (rewritten every 50 ms) while the simulator's own core figure stays at its few %.
   */
  async function fakeThread(n: Node, comm: string) {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-proc-'));
    const answer = await n.spdk.info.getReactors();
    const [pid, tid] = [answer.pid!, answer.reactors[0]!.tid];
    let pct = 0;
    let ticks = 5000;
    let last = performance.now();
    const tick = () => {
      const now = performance.now();
      ticks += ((now - last) / 10) * (pct / 100);
      last = now;
      writeStat(root, pid, tid, comm, Math.floor(ticks));
    };
    tick();
    const timer = setInterval(tick, 50);
    cleanup.push(async () => {
      clearInterval(timer);
      fs.rmSync(root, { recursive: true, force: true });
    });
    return {
      root,
      load(p: number) {
        tick();
        pct = p;
      },
    };
  }

  it("judges the reactor thread's CPU, not its core's, when the thread is reactor_0", async () => {
    const n = await node(['--interrupt-mode']);
    const thread = await fakeThread(n, 'reactor_0');
    const r = n.resources({ 'health.samplePeriodMs': 1000, 'health.reactorBusyMaxPct': 50 }, { procRoot: thread.root });
    await r.start();
    expect(n.logs.find((l) => l.msg.startsWith("spdk_tgt's reactors:"))?.msg).toMatch(
      /^spdk_tgt's reactors: 0:interrupt\(thread CPU\) \(an interrupt-mode reactor's load is its own thread's CPU share \(.*\/\d+\/task\/<tid>\/stat\)\)$/,
    );
    await waitFor('a reactor load', () => r.snapshot()!.reactors.length === 1);
    expect(r.snapshot()!.reactors[0]).toMatchObject({ lcore: 0, interrupt: true, cpu: 'thread' });
    expect(r.throttle()).toMatchObject({ engaged: false, reason: expect.stringMatching(/busiest reactor \d+% of reactor 0's thread CPU \(interrupt mode\) ≤ 50%/) });
    // Only the fake thread's CPU moves: the core's figure (the simulator's own) would not engage it.
    thread.load(80);
    // The first sample after the load began straddles it (it may engage at ~60%); the next reads 80%.
    await waitFor('the throttle engaged with the reactor thread at 80%', () => r.throttle().engaged && (r.snapshot()!.reactors[0]?.busyPct ?? 0) >= 75, 15_000);
    const reason = /^busiest reactor (\d+)% of reactor 0's thread CPU \(interrupt mode\) > 50%/.exec(r.throttle().reason);
    expect(reason, r.throttle().reason).not.toBeNull();
    expect(Number(reason![1])).toBeGreaterThanOrEqual(75);
    thread.load(0);
    await waitFor('the throttle to release', () => !r.throttle().engaged, 15_000);
    expect(r.throttle().reason).toMatch(/busiest reactor \d+% of reactor 0's thread CPU \(interrupt mode\) ≤ 50%/);
  }, 60_000);

  it("falls back to the core's CPU when the thread there is not reactor_0", async () => {
    const n = await node(['--interrupt-mode']);
    const thread = await fakeThread(n, 'reactor_1');
    thread.load(80);
    const r = n.resources({ 'health.samplePeriodMs': 600_000, 'health.reactorBusyMaxPct': 50 }, { procRoot: thread.root });
    await r.start();
    await r.sample();
    expect(r.snapshot()!.reactors).toEqual([expect.objectContaining({ lcore: 0, interrupt: true, cpu: 'core' })]);
    expect(r.throttle().reason).toMatch(/of core 0's CPU \(interrupt mode\)/);
    expect(n.logs.find((l) => l.msg.startsWith("spdk_tgt's reactors:"))?.msg).toMatch(/^spdk_tgt's reactors: 0:interrupt\(core CPU\) .*not visible in /);
  });
});

describe('a node that cannot be sampled', () => {
  it('keeps sampling on the timer without throwing, and admits at once with the reason logged', async () => {
    const n = await node([]);
    const r = n.resources({ 'health.samplePeriodMs': 200 });
    await r.start();
    await n.sim.kill();
    await waitFor('a failed sample to be logged', () => n.logs.some((l) => l.msg.startsWith('cannot sample spdk_tgt')));
    const t0 = performance.now();
    (await r.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-1' })).release();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(n.logs.find((l) => l.msg.startsWith('admission by DMA memory is off'))).toMatchObject({ level: 40, reason: expect.stringMatching(/^spdk_tgt cannot be sampled/) });
    // The timer goes on: later samples fail too and are logged once, at debug.
    await waitFor('another failed sample', () => n.logs.some((l) => l.msg === 'sample failed again'));
    expect(n.logs.filter((l) => l.msg.startsWith('cannot sample spdk_tgt'))).toHaveLength(1);
    await r.close();
    await expect(r.admit({ kind: 'export', what: 'export of r1' })).rejects.toMatchObject({ code: 'SERVICE_STOPPING' });
  });
});

describe('a dump this host cannot read', () => {
  it('turns memory admission off with the reason, logged once, and admits', async () => {
    // As if spdk_tgt wrote on another host: the file this host sees at that path is not its dump.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resources-'));
    cleanup.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
    fs.symlinkSync('/dev/null', path.join(dir, 'dump.txt'));
    const n = await node(['--mem-dump', path.join(dir, 'dump.txt')]);
    const r = n.resources();
    await r.start();
    expect(r.snapshot()!.dma).toMatchObject({ mode: 'unknown', availableBytes: undefined, problem: expect.stringMatching(/dump\.txt was not rewritten by env_dpdk_get_mem_stats .*another host/) });
    (await r.admit({ kind: 'rebuild', what: 'rebuild of r2 into vol-1' })).release();
    (await r.admit({ kind: 'attach', what: 'engine vol-1' })).release();
    expect(n.logs.filter((l) => l.msg.startsWith('admission by DMA memory is off'))).toEqual([expect.objectContaining({ level: 40, reason: expect.stringMatching(/was not rewritten/) })]);
    expect(r.throttle().reason).toMatch(/^healthy: free DMA memory unknown/);
  });
});

describe('the snapshot', () => {
  it('is empty before start, then cached: node hugepages, DMA heap, iobuf pools, reactor load from the second sample', async () => {
    const n = await node(['--mem-mib', '1024']);
    const r = n.resources();
    expect(r.snapshot()).toBeUndefined();
    expect(r.throttle()).toMatchObject({ engaged: false, reason: expect.stringMatching(/^not sampled yet/) });
    await r.start();
    const first = r.snapshot()!;
    expect(first.hugepages.pools).toEqual([{ pageSizeBytes: 2 * MIB, total: 2048, free: 1658, reserved: 0, surplus: 0, available: 1658, source: 'sysfs', bound: 'node pool' }]);
    expect(first.dma).toMatchObject({ mode: 'hugepages', heapBytes: 1024 * MIB, segments: 512, pageSizeBytes: 2 * MIB, memzones: 50, mempools: 8 });
    expect(first.iobuf?.modules.map((m) => m.module)).toEqual(['accel', 'bdev']);
    expect(first.reactorBusyPct).toBeUndefined();
    expect(first.problems).toEqual([]);
    const second = await r.sample();
    expect(r.snapshot()).toBe(second);
    expect(second.reactors).toHaveLength(1);
    expect(second.reactorBusyPct).toBeGreaterThanOrEqual(0);
    expect(second.reactorBusyPct).toBeLessThanOrEqual(100);
    // Concurrent callers share one sample.
    const [a, b] = await Promise.all([r.sample(), r.sample()]);
    expect(a).toBe(b);
  });
});

describe('reactorLoad and percentile', () => {
  // framework_get_reactors as spdk_tgt v26.05 answered it (transcript 01), and a reading 1 s later.
  const recorded: Reactors = {
    tick_rate: 2_600_000_000,
    pid: 12718,
    reactors: [{ lcore: 0, tid: 12718, busy: 10_446_749_000, idle: 140_666_909_682, in_interrupt: false, irq: 0, sys: 235, usr: 5384, lw_threads: [{ name: 'app_thread', id: 1 }] }],
  };
  const at = (reactors: Reactors, atMs: number): ReactorsReading => ({ reactors, atMs });
  const later = (busy: number, pid = 12718): Reactors => ({
    ...recorded,
    pid,
    reactors: [{ ...recorded.reactors[0]!, busy: recorded.reactors[0]!.busy + busy, idle: recorded.reactors[0]!.idle + (2_600_000_000 - busy), usr: recorded.reactors[0]!.usr + 100 }],
  });
  /** Two reactors in interrupt mode (v26.05 --interrupt-mode: busy and idle stay 0), their cores' jiffies moved by `jiffies`. */
  const sleeping = (jiffies: [number, number], pid = 4242): Reactors => ({
    tick_rate: 2_600_000_000,
    pid,
    reactors: jiffies.map((j, lcore) => ({
      lcore,
      tid: pid + lcore,
      busy: 0,
      idle: 0,
      in_interrupt: true,
      irq: 10 + Math.floor(j / 4),
      sys: 40 + Math.floor(j / 4),
      usr: 200 + j - 2 * Math.floor(j / 4),
      lw_threads: [],
    })),
  });

  it("is the share of ticks in which a polling reactor's pollers did work between two readings", () => {
    expect(reactorLoad(at(recorded, 0), at(later(2_470_000_000), 1000))).toEqual([{ lcore: 0, busyPct: 95, interrupt: false }]);
    expect(reactorLoad(at(recorded, 0), at(later(0), 1000))).toEqual([{ lcore: 0, busyPct: 0, interrupt: false }]);
  });

  it("is the core's CPU over the wall time for a reactor in interrupt mode: usr+sys+irq jiffies / (seconds × USER_HZ), at most 1", () => {
    expect(USER_HZ).toBe(100);
    // 2 s apart: 60 jiffies of 200 is 30%, 200 of 200 is 100%.
    expect(reactorLoad(at(sleeping([0, 0]), 5000), at(sleeping([60, 200]), 7000))).toEqual([
      { lcore: 0, busyPct: 30, interrupt: true, cpu: 'core' },
      { lcore: 1, busyPct: 100, interrupt: true, cpu: 'core' },
    ]);
    // More jiffies than the wall time holds (readings stamped late, a core's jiffies read at another time): clamped.
    expect(reactorLoad(at(sleeping([0, 0]), 5000), at(sleeping([0, 250]), 7000))).toEqual([
      { lcore: 0, busyPct: 0, interrupt: true, cpu: 'core' },
      { lcore: 1, busyPct: 100, interrupt: true, cpu: 'core' },
    ]);
    // No wall time between them: no figure, not a restart.
    expect(reactorLoad(at(sleeping([0, 0]), 5000), at(sleeping([3, 3]), 5000))).toEqual([]);
  });

  it('gives no figure for a reactor that changed mode between the readings, and goes on for the others', () => {
    const mixed = (interrupt0: boolean, busy: number): Reactors => ({
      ...recorded,
      reactors: [
        { ...recorded.reactors[0]!, in_interrupt: interrupt0, busy: recorded.reactors[0]!.busy + busy, usr: recorded.reactors[0]!.usr + 50 },
        { lcore: 1, tid: 12720, busy: 0, idle: 0, in_interrupt: true, irq: 0, sys: 0, usr: busy === 0 ? 0 : 100, lw_threads: [] },
      ],
    });
    // lcore 0 went from polling to interrupt mode (its ticks stopped); lcore 1 stayed in interrupt mode, 100 jiffies in 2 s.
    expect(reactorLoad(at(mixed(false, 0), 0), at(mixed(true, 1000), 2000))).toEqual([{ lcore: 1, busyPct: 50, interrupt: true, cpu: 'core' }]);
    // And back: polling again, busy ticks moving from where they stopped.
    expect(reactorLoad(at(mixed(true, 0), 0), at(mixed(false, 1000), 2000))).toEqual([{ lcore: 1, busyPct: 50, interrupt: true, cpu: 'core' }]);
  });

  it('says undefined across a restart of spdk_tgt (another pid, or counters that went back)', () => {
    expect(reactorLoad(at(recorded, 0), at(later(1000, 99), 1000))).toBeUndefined();
    expect(reactorLoad(at(later(1000), 0), at(recorded, 1000))).toBeUndefined();
    // In interrupt mode only the jiffies move: a new spdk_tgt counts them from its own start.
    expect(reactorLoad(at(sleeping([500, 500]), 0), at(sleeping([20, 20]), 2000))).toBeUndefined();
    expect(reactorLoad(at(sleeping([0, 0]), 0), at(sleeping([20, 20], 4343), 2000))).toBeUndefined();
    // A pid that is not there (an spdk_tgt that does not say it) leaves the counters to tell.
    const noPid = (r: Reactors): Reactors => ({ tick_rate: r.tick_rate, reactors: r.reactors });
    expect(reactorLoad(at(noPid(sleeping([0, 0])), 0), at(noPid(sleeping([20, 40])), 2000))).toEqual([
      { lcore: 0, busyPct: 10, interrupt: true, cpu: 'core' },
      { lcore: 1, busyPct: 20, interrupt: true, cpu: 'core' },
    ]);
    expect(reactorLoad(at(noPid(sleeping([500, 500])), 0), at(noPid(sleeping([20, 20])), 2000))).toBeUndefined();
  });

  it("reactorMode names the reactors' modes in one word", () => {
    expect(reactorMode([])).toBe('');
    expect(reactorMode([{ lcore: 0, interrupt: false }])).toBe('polling');
    expect(
      reactorMode([
        { lcore: 0, interrupt: true },
        { lcore: 1, interrupt: true },
      ]),
    ).toBe('interrupt');
    expect(
      reactorMode([
        { lcore: 0, interrupt: true },
        { lcore: 1, interrupt: false },
      ]),
    ).toBe('mixed');
  });

  it('percentile is nearest-rank', () => {
    expect(percentile([], 90)).toBeUndefined();
    expect(percentile([5, 400], 90)).toBe(400);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
  });
});
