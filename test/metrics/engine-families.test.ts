import { describe, expect, it } from 'vitest';
import { EngineFamilies } from '../../src/api/metrics/engine-families.js';
import type { VolumeIoCounters, VolumeIoSample } from '../../src/domain/engine/volume-io.js';
import type { EngineObservation, NodeObservation } from '../../src/domain/node/observation.js';

const MARGINS: EngineObservation['margins'] = [
  { rule: 'ours.io-failover-before-host-io-timeout', marginSec: 12, requiredSec: 5, applies: true },
  { rule: 'ours.controller-gone-before-host-ctrl-loss', marginSec: 30, requiredSec: 5, applies: true },
];

function engine(name: string, over: Partial<EngineObservation> = {}): EngineObservation {
  return { name, raidName: `raid-${name}`, sizeBytes: 1 << 30, state: 'healthy', members: { healthy: 2, rebuilding: 0, failed: 0, missing: 0 }, margins: MARGINS, ...over };
}

function observation(engines: EngineObservation[]): NodeObservation {
  return { engines } as unknown as NodeObservation;
}

/** The text a render's bytes make. */
async function text(families: EngineFamilies, o: NodeObservation, sample: VolumeIoSample): Promise<string> {
  return Buffer.concat(await families.render(o, sample)).toString('utf8');
}

function counters(n: number): VolumeIoCounters {
  return { readOps: n, writeOps: 2 * n, unmapOps: 0, readBytes: 4096 * n, writeBytes: 8192 * n, unmapBytes: 0, readLatencySec: n / 1000, writeLatencySec: n / 500 };
}

describe('the per-engine families kept between scrapes', () => {
  it('write after each change exactly what a first render of the same state writes', async () => {
    const kept = new EngineFamilies();
    const many = Array.from({ length: 300 }, (_, i) => engine(`e-${i}`));
    const sample: VolumeIoSample = { at: 1, engines: new Map(many.map((e, i) => [e.name, counters(i)])) };
    const first = await text(kept, observation(many), sample);
    expect(first).toBe(await text(new EngineFamilies(), observation(many), sample));
    expect(first).toContain('spdk_conductor_engine_state{engine="e-7",state="healthy"} 1\n');

    // One engine degraded, one gone, one new, one on another budget, one grown; a new I/O sample.
    const changed = many.filter((e) => e.name !== 'e-3');
    changed[0] = engine('e-0', { state: 'degraded', members: { healthy: 1, rebuilding: 1, failed: 0, missing: 0 } });
    changed[1] = engine('e-1', { margins: [{ ...MARGINS[0]!, marginSec: 1 }] });
    changed[2] = engine('e-2', { sizeBytes: 2 << 30 });
    changed.push(engine('e-new'));
    const next: VolumeIoSample = { at: 2, engines: new Map(changed.map((e, i) => [e.name, counters(i + 1000)])) };
    const second = await text(kept, observation(changed), next);
    expect(second).toBe(await text(new EngineFamilies(), observation(changed), next));
    expect(second).toContain('spdk_conductor_engine_state{engine="e-0",state="degraded"} 1\n');
    expect(second).toContain('spdk_conductor_engine_members{engine="e-0",state="rebuilding"} 1\n');
    expect(second).toContain('spdk_conductor_timeout_budget_margin_seconds{engine="e-1",rule="ours.io-failover-before-host-io-timeout"} 1\n');
    expect(second).toContain(`spdk_conductor_engine_size_bytes{engine="e-2"} ${2 << 30}\n`);
    expect(second).toContain('spdk_conductor_engine_state{engine="e-new",state="healthy"} 1\n');
    expect(second).not.toContain('engine="e-3"');
    expect(second).toContain('spdk_conductor_volume_read_ops_total{engine="e-new"} 1299\n');

    // Nothing changed: the same text again.
    expect(await text(kept, observation(changed), next)).toBe(second);
  });

  it("keeps each engine's lines in memory of their own, never a slice of Buffer's shared pool (a kept slice holds the whole slab)", async () => {
    const families = new EngineFamilies();
    const sample: VolumeIoSample = { at: 1, engines: new Map([['e-0', counters(1)]]) };
    const pieces = await families.render(observation([engine('e-0'), engine('e-1')]), sample);
    const lines = pieces.filter((b) => b.length > 0 && !b.toString().startsWith('#'));
    expect(lines.length).toBeGreaterThan(0);
    for (const b of lines) {
      expect(b.buffer.byteLength).toBeLessThan(Buffer.poolSize);
    }
    // One engine's lines share one exact-size buffer.
    const e0 = lines.filter((b) => b.toString().includes('engine="e-0"') && !b.toString().startsWith('spdk_conductor_volume'));
    expect(new Set(e0.map((b) => b.buffer)).size).toBe(1);
    expect(e0[0]!.buffer.byteLength).toBe(e0.reduce((n, b) => n + b.length, 0));
  });
});

describe('the per-engine families and the event loop', () => {
  /** How many turns of the loop (setImmediate callbacks) ran while `work` did. */
  async function turnsDuring(work: () => Promise<unknown>): Promise<number> {
    let turns = 0;
    let running = true;
    const tick = (): void => {
      if (!running) return;
      turns++;
      setImmediate(tick);
    };
    setImmediate(tick);
    await work();
    running = false;
    return turns;
  }

  it('renders kept lines in one turn, and gives the loop a turn per batch of lines it writes', async () => {
    const families = new EngineFamilies();
    const many = Array.from({ length: 500 }, (_, i) => engine(`e-${i}`));
    const sample: VolumeIoSample = { at: 1, engines: new Map(many.map((e, i) => [e.name, counters(i)])) };
    // The first render writes 500 engines' lines: turns between batches of 128.
    expect(await turnsDuring(() => families.render(observation(many), sample))).toBe(3);
    // Everything kept: the scrape never waits behind other work.
    expect(await turnsDuring(() => families.render(observation(many), sample))).toBe(0);
    // A new I/O sample: 500 volumes' lines are one batch.
    const next: VolumeIoSample = { at: 2, engines: new Map(many.map((e, i) => [e.name, counters(i + 1)])) };
    expect(await turnsDuring(() => families.render(observation(many), next))).toBe(0);
    // 1,200 volumes: two turns.
    const more = Array.from({ length: 1200 }, (_, i) => engine(`e-${i}`));
    const large = new EngineFamilies();
    await large.render(observation(more), { at: 1, engines: new Map() });
    expect(await turnsDuring(() => large.render(observation(more), { at: 2, engines: new Map(more.map((e, i) => [e.name, counters(i)])) }))).toBe(2);
    // A few engines changed: written in the same turn.
    const changed = many.map((e, i) => (i % 100 === 0 ? engine(e.name, { state: 'degraded' }) : e));
    expect(await turnsDuring(() => families.render(observation(changed), next))).toBe(0);
  });
});
