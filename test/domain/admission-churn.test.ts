/**
 * Admission under churn, against a simulator whose max_subsystems is raised to ~2,000: what exists
 * plus what is in flight is counted, a finished export ends its hold at once and a deleted one
 * stops counting when its delete is answered, so creates that fit are never refused, whatever the
 * samples' timing; and a create that does not fit is still refused with the numbers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ConductorError } from '../../src/errors.js';
import { workerRegion } from '../helpers/ports.js';
import { startNode, type NodeFixture } from './helpers/node-fixture.js';

const MIB = 1024 * 1024;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:8d2a6d6e-2222-4c5e-9c66-5a1b2c3d4e5f';

let node: NodeFixture | undefined;
afterEach(async () => {
  await node?.close();
  node = undefined;
});

/** Runs `work(i)` for i in [0, count) with `lanes` at once; the refusals it met, by code. */
async function inLanes(count: number, lanes: number, work: (i: number) => Promise<unknown>): Promise<ConductorError[]> {
  const refused: ConductorError[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (next < count) {
        const i = next++;
        await work(i).catch((e: unknown) => {
          if (!(e instanceof ConductorError)) throw e;
          refused.push(e);
        });
      }
    }),
  );
  return refused;
}

describe('subsystem admission under churn', () => {
  it.each([64, 16])('refuses no create that fits with %i in flight and ~2,000 exports, and refuses the one that does not', { timeout: 600_000 }, async (lanes) => {
    const base = 1_930;
    // The discovery subsystem, the standing exports, and one more per lane: churn fits exactly.
    const max = 1 + base + lanes;
    // ~2,000 listeners need more ports than a block: the worker's whole region when it holds them (the
    // default slot, as CI runs), else ports above the kernel's ephemeral range (32768-60999), which no
    // other test hands out, one file at a time (bench:scale's default range starts there too).
    const portMin = workerRegion(max + 10)?.min ?? 61_000;
    node = await startNode({
      portMin,
      simArgs: ['--max-subsystems', String(max)],
      // Samples (which count subsystems again) run all through the churn.
      env: { CONDUCTOR_EXPORT_PORT_MAX: String(portMin + max + 9), CONDUCTOR_HEALTH_SAMPLE_PERIOD_MS: '200' },
    });
    const f = node;
    expect(await f.node.nodeInfo()).toMatchObject({ maxSubsystems: max, maxSubsystemsSource: 'spdk_tgt' });
    await f.node.diskCreate({ name: 'd1', path: f.diskFile('d1', 16 * 1024) });
    const create = (name: string) => f.node.replicaCreate(name, 'd1', 4 * MIB, {}, [HOST]);

    expect(await inLanes(base, lanes, (i) => create(`s${i}`))).toEqual([]);

    // Each lane makes a replica, then deletes one of the standing ones: at most base + lanes exist.
    const churn = 4 * lanes;
    const refused = await inLanes(churn, lanes, async (i) => {
      await create(`c${i}`);
      await f.node.replicaDelete(`s${i}`);
    });
    expect(refused.map((e) => `${e.code}: ${e.message}`)).toEqual([]);

    // Full: the standing exports plus one per lane, with the discovery subsystem.
    expect(await inLanes(lanes, lanes, (i) => create(`f${i}`))).toEqual([]);
    const err = await create('one-too-many').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConductorError);
    expect(err).toMatchObject({
      code: 'SPDK_LIMIT_REACHED',
      kind: 'resource-exhausted',
      message: `export of replica one-too-many needs 1 NVMe-oF subsystem; spdk_tgt has ${max} of its ${max} (max_subsystems, the discovery subsystem included), 0 reserved by running work`,
      details: { subsystems: max, maxSubsystems: max, maxSubsystemsSource: 'spdk_tgt', reservedSubsystems: 0 },
    });
    // Nothing of it was made.
    await expect(f.node.replicaGet('one-too-many')).rejects.toMatchObject({ code: 'REPLICA_NOT_FOUND' });
  });

  it('engines say what they made and what they deleted: creates and deletes that fit are never refused between samples', { timeout: 300_000 }, async () => {
    // The discovery subsystem and two engines; no sample after the first, so no count settles
    // anything: each engine's subsystem must count from its create's answer to its delete's.
    const max = 3;
    node = await startNode({ simArgs: ['--max-subsystems', String(max)], env: { CONDUCTOR_HEALTH_SAMPLE_PERIOD_MS: '600000' } });
    const f = node;
    await f.node.diskCreate({ name: 'd1', path: f.diskFile('d1', 1024) });
    for (let i = 0; i < 4; i++) await f.node.replicaCreate(`m${i}`, 'd1', 8 * MIB);
    const engine = (lane: number) => ({
      name: `v${lane}`,
      sizeBytes: 4 * MIB,
      replicas: [
        { name: `m${2 * lane}`, kind: 'local' as const },
        { name: `m${2 * lane + 1}`, kind: 'local' as const },
      ],
      frontend: 'export-only' as const,
      hostNqns: [HOST],
    });
    const refused = await inLanes(2, 2, async (lane) => {
      for (let round = 0; round < 4; round++) {
        await f.node.engineCreate(engine(lane));
        await f.node.engineDelete(`v${lane}`);
      }
    });
    expect(refused.map((e) => `${e.code}: ${e.message}`)).toEqual([]);

    // Both made: the next one does not fit, and says so with the count.
    for (const lane of [0, 1]) await f.node.engineCreate(engine(lane));
    await f.node.replicaCreate('x0', 'd1', 8 * MIB);
    await f.node.replicaCreate('x1', 'd1', 8 * MIB);
    await expect(
      f.node.engineCreate({
        ...engine(0),
        name: 'v2',
        replicas: [
          { name: 'x0', kind: 'local' },
          { name: 'x1', kind: 'local' },
        ],
      }),
    ).rejects.toMatchObject({ code: 'SPDK_LIMIT_REACHED', details: { subsystems: max, reservedSubsystems: 0 } });
  });
});
