/**
 * The diagnostics channels, subscribed to as metrics or a tracer would: a node (a simulator
 * process, the real client and the real domain, in this process so its channels are ours) is
 * driven through calls, object changes, a change spdk_tgt makes behind the service's back, and a
 * rebuild, and each must show up on its channel with what happened and why.
 */
import path from 'node:path';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CHANNELS, spdkCallChannel, subscribe, type ObjectChange, type RebuildLifecycle, type SpdkCallContext } from '../src/diagnostics.js';
import { SpdkRpcError, type SpdkTransportError } from '../src/errors.js';
import { SpdkClient } from '../src/spdk/client.js';
import { startNode, type NodeFixture } from './domain/helpers/node-fixture.js';
import { until } from './engine/helpers/cluster.js';
import { tempDir } from './helpers/temp-dir.js';

const MIB = 1024 * 1024;
const SIZE = 32 * MIB;

let node: NodeFixture;
/** Every call seen on the tracing channel, with the events it had, in order. */
const calls = new Map<SpdkCallContext, string[]>();
const record = (event: string) => (context: SpdkCallContext) => {
  calls.set(context, [...(calls.get(context) ?? []), event]);
};
const tracer = { start: record('start'), end: record('end'), asyncStart: record('asyncStart'), asyncEnd: record('asyncEnd'), error: record('error') };
const changes: ObjectChange[] = [];
const rebuilds: RebuildLifecycle[] = [];
const unsubscribes: Array<() => void> = [];

beforeAll(async () => {
  spdkCallChannel.subscribe(tracer);
  unsubscribes.push(
    () => spdkCallChannel.unsubscribe(tracer),
    subscribe(CHANNELS.objectChange, (c) => changes.push(c)),
    subscribe(CHANNELS.rebuild, (r) => rebuilds.push(r)),
  );
  node = await startNode({ env: { CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '100', CONDUCTOR_ENGINE_HOST_NQN: 'nqn.2024-11.io.spdk-conductor:engine:diagnostics-test' } });
}, 30_000);

afterAll(async () => {
  for (const unsubscribe of unsubscribes) unsubscribe();
  await node?.close();
});

afterEach(async () => {
  await node.client.callUnchecked('sim_rpc_delay', { ms: 0 });
});

/** The settled calls of `method` made since `from` (a performance.now() reading). */
function settled(method: string, from: number): Array<[SpdkCallContext, string[]]> {
  return [...calls].filter(([c, events]) => c.method === method && c.startedAt >= from && events.includes('asyncEnd'));
}

describe('the spdk call channel', () => {
  it('traces an answered call with its id, duration and outcome ok', async () => {
    const from = performance.now();
    const version = await node.client.call<{ version: string }>('spdk_get_version');
    const [[call, events]] = settled('spdk_get_version', from).filter(([c]) => c.result === version) as [[SpdkCallContext, string[]]];
    expect(events).toEqual(['start', 'end', 'asyncStart', 'asyncEnd']);
    expect(call.outcome).toBe('ok');
    expect(call.id).toBeGreaterThan(0);
    expect(call.durationMs).toBeGreaterThan(0);
    expect(call.durationMs).toBeLessThan(performance.now() - from);
  });

  it('traces spdk_tgt refusing a call as rpc-error with its code', async () => {
    const from = performance.now();
    const error = await node.client.call('bdev_get_bdevs', { name: 'no-such-bdev' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SpdkRpcError);
    const [[call, events]] = settled('bdev_get_bdevs', from).filter(([c]) => c.error === error) as [[SpdkCallContext, string[]]];
    expect(events).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(call.outcome).toBe('rpc-error');
    expect(call.rpcCode).toBe((error as SpdkRpcError).rpcCode);
    expect(call.rpcCode).toBeLessThan(0);
  });

  it('traces a call with no answer in time as timeout, after its deadline', async () => {
    await node.client.callUnchecked('sim_rpc_delay', { method: 'spdk_get_version', ms: 2_000 });
    const from = performance.now();
    const error = await node.client.call('spdk_get_version', undefined, { deadlineMs: 100 }).catch((e: unknown) => e);
    expect((error as SpdkTransportError).failure).toBe('timeout');
    const [[call, events]] = settled('spdk_get_version', from).filter(([c]) => c.error === error) as [[SpdkCallContext, string[]]];
    expect(events).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
    expect(call.outcome).toBe('timeout');
    expect(call.id).toBeGreaterThan(0);
    expect(call.durationMs).toBeGreaterThanOrEqual(99);
    expect(call.durationMs).toBeLessThan(2_000);
  });

  it('traces an aborted call as aborted', async () => {
    await node.client.callUnchecked('sim_rpc_delay', { method: 'spdk_get_version', ms: 2_000 });
    const from = performance.now();
    const abort = new AbortController();
    const pending = node.client.call('spdk_get_version', undefined, { signal: abort.signal }).catch((e: unknown) => e);
    abort.abort();
    const error = await pending;
    expect((error as SpdkTransportError).failure).toBe('aborted');
    const [[call]] = settled('spdk_get_version', from).filter(([c]) => c.error === error) as [[SpdkCallContext, string[]]];
    expect(call.outcome).toBe('aborted');
    expect(call.durationMs).toBeLessThan(2_000);
  });

  it('traces a call that cannot reach spdk_tgt with the transport failure', async () => {
    const client = new SpdkClient({ socketPath: path.join(tempDir('diagnostics-'), 'absent.sock'), logger: pino({ level: 'silent' }) });
    try {
      const from = performance.now();
      const error = await client.call('spdk_get_version').catch((e: unknown) => e);
      expect((error as SpdkTransportError).failure).toBe('no-socket');
      const [[call, events]] = settled('spdk_get_version', from).filter(([c]) => c.error === error) as [[SpdkCallContext, string[]]];
      expect(events).toEqual(['start', 'end', 'error', 'asyncStart', 'asyncEnd']);
      expect(call.outcome).toBe('no-socket');
      expect(call.id).toBeUndefined();
    } finally {
      await client.close();
    }
  });
});

describe('the object change and rebuild channels', () => {
  it('report operations, the monitor finding a member gone, and a rebuild from queued to done', async () => {
    await node.node.diskCreate({ name: 'd', path: node.diskFile('d', 512) });
    for (const r of ['r1', 'r2', 'r3']) await node.node.replicaCreate(r, 'd', SIZE);
    await node.node.engineCreate({
      name: 'v',
      sizeBytes: SIZE,
      replicas: [
        { name: 'r1', kind: 'local' },
        { name: 'r2', kind: 'local' },
      ],
      frontend: 'export-only',
      hostNqns: ['nqn.2014-08.org.nvmexpress:uuid:6a1c0b3e-0000-4000-8000-00000000d1a9'],
    });
    await until('the engine added event', 5_000, async () => changes.some((c) => c.kind === 'engine' && c.type === 'added'));
    expect(changes).toContainEqual({ kind: 'disk', name: 'd', type: 'added', state: undefined, reason: 'attached; lvstore created', source: 'operation' });
    expect(changes).toContainEqual({ kind: 'replica', name: 'r3', type: 'added', state: undefined, reason: 'created', source: 'operation' });
    expect(changes).toContainEqual({ kind: 'engine', name: 'v', type: 'added', state: 'healthy', reason: 'created', source: 'operation' });

    // spdk_tgt loses a member behind the service's back: only the monitor can tell.
    const r2 = (await node.node.engineGet('v')).members.find((m) => m.name === 'r2')!;
    await node.client.call('bdev_raid_remove_base_bdev', { name: r2.bdevName });
    const found = await until('the monitor to report the engine degraded', 10_000, async () => changes.find((c) => c.kind === 'engine' && c.source === 'monitor' && c.state === 'degraded'));
    expect(found).toMatchObject({ name: 'v', type: 'modified' });
    expect(found.reason).toMatch(/1 of 2 members healthy \(r2 /);

    await node.node.engineReplicaRemove('v', 'r2');
    const removed = await until('the engine event of the removal', 5_000, async () => changes.find((c) => c.kind === 'engine' && c.reason === 'replica r2 removed'));
    expect(removed).toEqual({ kind: 'engine', name: 'v', type: 'modified', state: 'healthy', reason: 'replica r2 removed', source: 'operation' });
    await node.node.engineReplicaAdd('v', { name: 'r3', kind: 'local' });
    const ended = await until('the rebuild of r3 to end', 30_000, async () => rebuilds.find((r) => r.replica === 'r3' && r.event === 'ended'));
    expect(ended.state, ended.reason).toBe('done');
    expect(ended).toMatchObject({ engine: 'v', percent: 100, bytesTotal: SIZE, bytesDone: SIZE });
    expect(ended.elapsedMs).toBeGreaterThan(0);

    const ofR3 = rebuilds.filter((r) => r.replica === 'r3');
    const steps = ofR3.map((r) => r.event).filter((e, i, all) => e !== all[i - 1]);
    expect(steps, JSON.stringify(ofR3)).toEqual(['queued', 'started', 'path-chosen', 'process-started', 'progress', 'ended']);
    // r1 has no snapshots: nothing to preserve, so spdk_tgt's raid rebuild copies it all.
    expect(ofR3.find((r) => r.event === 'path-chosen')).toMatchObject({ path: 'raid', reason: expect.stringMatching(/no snapshots/) });
    const elapsed = ofR3.map((r) => r.elapsedMs);
    expect(elapsed).toEqual([...elapsed].sort((a, b) => a - b));
    const percents = ofR3.filter((r) => r.event === 'progress').map((r) => r.percent);
    expect(
      percents.every((p, i) => p > 0 && p < 100 && (i === 0 || p > percents[i - 1]!)),
      percents.join(', '),
    ).toBe(true);
  }, 60_000);
});
