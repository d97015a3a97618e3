/**
 * After spdk_tgt restarts empty (kill -9 of the simulator, a new one on the same socket and disk
 * files), the service converges it back to what the state file records, by itself: disks, and
 * through examine their replicas and snapshots, and exports with the same NQNs, ports and hosts.
 * Readiness says NOT_SERVING with why while it does, and while a disk cannot come back.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Readiness } from '../../../src/domain/operations.js';
import { dhchapKey, tlsPsk } from '../../sim/helpers/key-files.js';
import { startSim, type RunningSim } from '../../sim/helpers/start-sim.js';
import { waitFor } from '../../spdk/helpers/fake-spdk.js';
import { startNode, type NodeFixture } from '../helpers/node-fixture.js';

const MIB = 1024 * 1024;
const HOSTS = ['1111', '2222', '3333'].map((n) => `nqn.2014-08.org.nvmexpress:uuid:8d2a6d6e-${n}-4c5e-9c66-5a1b2c3d4e5f`);
const CONVERGE_MS = 30_000;

let f: NodeFixture;
/** Every simulator started to replace a killed one; the last is the live one. */
const sims: RunningSim[] = [];
/** Every readiness change seen since the fixture started. */
const seen: Readiness[] = [];
let poller: NodeJS.Timeout | undefined;

function live(): RunningSim {
  return sims.at(-1) ?? f.sim;
}

/** spdk_tgt dies (kill -9) and a new, empty one starts on the same socket. */
async function restartSpdk(): Promise<RunningSim> {
  await live().kill();
  const sim = await startSim({ name: 'node', socket: f.sim.socket, args: ['--mem-dump', path.join(f.dir, `mem-dump-${sims.length}.txt`)] });
  sims.push(sim);
  return sim;
}

function follow(): void {
  const read = (): void => {
    const now = f.node.readiness();
    const last = seen.at(-1);
    if (!last || last.ready !== now.ready || last.reason !== now.reason) seen.push(now);
  };
  poller = setInterval(read, 2);
}

async function converged(): Promise<void> {
  await waitFor('readiness SERVING after the reconcile', () => f.node.readiness().ready && f.node.reconcileStatus().phase === 'idle', CONVERGE_MS);
}

interface Picture {
  replicas: Array<{ name: string; disk: string; size: number; export: unknown }>;
  snapshots: Record<string, Array<{ name: string; labels: Record<string, string>; createdAt: number }>>;
  data: Record<string, string>;
}

const exported = Array.from({ length: 10 }, (_, i) => `rx${i}`);
const plain = Array.from({ length: 10 }, (_, i) => `rp${i}`);
const withSnapshots = ['rx0', 'rx5', 'rp0', 'rp5'];
const written = ['rx1', 'rx6', 'rp1', 'rp6', 'rx0'];

function diskOf(replica: string): string {
  return Number(replica.slice(2)) < 5 ? 'd1' : 'd2';
}

async function readBlocks(replica: string): Promise<string> {
  const answer = await f.client.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: `lvs.${diskOf(replica)}/r.${replica}`, offset_blocks: 0, num_blocks: 4 });
  return answer.data_base64;
}

async function picture(): Promise<Picture> {
  const replicas = (await f.node.replicaList(undefined))
    .filter((r) => r.name.startsWith('rx') || r.name.startsWith('rp'))
    .map((r) => ({ name: r.name, disk: r.diskName, size: r.sizeBytes, export: r.export }))
    .sort((a, b) => a.name.localeCompare(b.name));
  const snapshots: Picture['snapshots'] = {};
  for (const name of withSnapshots) {
    snapshots[name] = (await f.node.snapshotList(name)).map((s) => ({ name: s.name, labels: s.labels, createdAt: s.createdAt.getTime() }));
  }
  const data: Record<string, string> = {};
  for (const name of written) data[name] = await readBlocks(name);
  return { replicas, snapshots, data };
}

let before: Picture;

/** Piece by piece, so a failure says which. */
function expectSame(now: Picture): void {
  expect(now.replicas, 'replicas and their exports').toEqual(before.replicas);
  expect(now.snapshots, 'snapshots, labels, creation times').toEqual(before.snapshots);
  expect(now.data, 'data').toEqual(before.data);
}

interface Subsystem {
  nqn: string;
  hosts: Array<{ nqn: string; dhchap_key?: string; dhchap_ctrlr_key?: string; psk?: string }>;
  listen_addresses: Array<{ trsvcid: string; secure_channel?: boolean }>;
}

/** The keyed exports as spdk_tgt holds them: hosts with their key names, listeners. */
async function keyed(): Promise<Subsystem[]> {
  const subsystems = await f.client.callUnchecked<Subsystem[]>('nvmf_get_subsystems');
  return subsystems.filter((s) => s.nqn.endsWith(':replica:rk') || s.nqn.endsWith(':replica:rt'));
}
let keyedBefore: Subsystem[];

beforeAll(async () => {
  f = await startNode({ env: { CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200' } });
  await f.node.diskCreate({ name: 'd1', path: f.diskFile('d1', 512) });
  // Not a file's default block size: the bdev must be made again with the recorded one.
  await f.node.diskCreate({ name: 'd2', path: f.diskFile('d2', 512), blockSize: 512 });
  for (const [i, name] of exported.entries()) await f.node.replicaCreate(name, diskOf(name), 16 * MIB, undefined, i % 2 === 0 ? [HOSTS[0]!] : [HOSTS[1]!, HOSTS[2]!]);
  for (const name of plain) await f.node.replicaCreate(name, diskOf(name), 8 * MIB);
  for (const name of written) {
    await f.client.callUnchecked('sim_bdev_write', { name: `lvs.${diskOf(name)}/r.${name}`, offset_blocks: 0, data_base64: randomBytes(4 * 4096).toString('base64') });
  }
  for (const name of withSnapshots) {
    await f.node.snapshotCreate({ replicaName: name, name: 'daily', labels: { app: 'db', replica: name } });
    await f.node.snapshotCreate({ replicaName: name, name: 'hourly', labels: { tier: 'gold' } });
  }
  // The last write lands in rx0's head after its snapshots: head and chain both come back.
  await f.client.callUnchecked('sim_bdev_write', { name: 'lvs.d1/r.rx0', offset_blocks: 2, data_base64: randomBytes(4096).toString('base64') });
  // Exports with keys: DH-HMAC-CHAP (bidirectional and one-way) and TLS.
  const secrets = new Map([
    [HOSTS[0]!, { dhchapKey: dhchapKey(48, 0), dhchapCtrlrKey: dhchapKey(64, 3) }],
    [HOSTS[1]!, { dhchapKey: dhchapKey(32, 1) }],
  ]);
  await f.node.replicaCreate('rk', 'd1', 8 * MIB, undefined, [HOSTS[0]!, HOSTS[1]!], secrets);
  await f.node.replicaCreate('rt', 'd2', 8 * MIB, undefined, [HOSTS[2]!], new Map([[HOSTS[2]!, { psk: tlsPsk() }]]));
  await converged();
  before = await picture();
  keyedBefore = await keyed();
  follow();
}, 60_000);

afterAll(async () => {
  clearInterval(poller);
  await f?.close();
  for (const sim of sims) await sim.stop();
});

describe('reconcile after spdk_tgt restarted empty', () => {
  it('brings back disks, replicas, snapshots and exports (same NQNs, ports, hosts), data intact; readiness NOT_SERVING meanwhile', async () => {
    expect(before.replicas).toHaveLength(20);
    expect(before.replicas.filter((r) => r.export)).toHaveLength(10);
    expect(keyedBefore).toHaveLength(2);
    expect(keyedBefore.flatMap((s) => s.hosts).filter((h) => h.dhchap_key !== undefined)).toHaveLength(2);
    const from = seen.length;
    const runs = f.node.reconcileStatus().runs;

    await restartSpdk();
    await waitFor('readiness NOT_SERVING', () => !f.node.readiness().ready, CONVERGE_MS);
    await converged();

    expectSame(await picture());
    // Keyed exports come back with the same key names (put back in the keyring from their files).
    expect(await keyed()).toEqual(keyedBefore);
    const [d2] = await f.client.callUnchecked<Array<{ block_size: number }>>('bdev_get_bdevs', { name: 'd.d2' });
    expect(d2?.block_size).toBe(512);
    const changes = seen.slice(from);
    expect(changes.some((r) => !r.ready && /reconcil|spdk_tgt connection lost/.test(r.reason))).toBe(true);
    expect(changes.at(-1)).toEqual({ ready: true, reason: 'ready' });
    const status = f.node.reconcileStatus();
    expect(status.runs).toBeGreaterThan(runs);
    expect(status).toMatchObject({ phase: 'idle', reason: 'converged', disks: { done: 2, total: 2 }, exports: { done: 12, total: 12 }, problems: [] });
    // The exports are spdk_tgt's again, not only the service's view of them.
    const subsystems = await f.client.callUnchecked<Array<{ nqn: string; hosts: Array<{ nqn: string }>; listen_addresses: Array<{ trsvcid: string }> }>>('nvmf_get_subsystems');
    for (const replica of before.replicas.filter((r) => r.export)) {
      const exp = replica.export as { nqn: string; port: number; hostNqns: string[] };
      const subsystem = subsystems.find((s) => s.nqn === exp.nqn);
      expect(subsystem?.listen_addresses.map((l) => Number(l.trsvcid))).toEqual([exp.port]);
      expect(subsystem?.hosts.map((h) => h.nqn).sort()).toEqual([...exp.hostNqns].sort());
    }
  }, 60_000);

  it('a reconcile interrupted by a second kill -9 completes after it', async () => {
    const from = seen.length;
    const runs = f.node.reconcileStatus().runs;
    const sim = await restartSpdk();
    // Slow the exports down so that the second kill lands in the middle of the run.
    await f.client.callUnchecked('sim_rpc_delay', { method: 'nvmf_subsystem_add_listener', ms: 300 }).catch(() => undefined);
    await waitFor('a reconcile under way', () => f.node.reconcileStatus().phase === 'reconciling' && f.node.reconcileStatus().runs > runs, CONVERGE_MS);
    expect(sim.proc.exitCode).toBeNull();
    await restartSpdk();
    await converged();

    expectSame(await picture());
    const changes = seen.slice(from);
    // Never ready between the first kill and the end of the run that completed.
    expect(
      changes.filter((r) => r.ready),
      JSON.stringify(changes),
    ).toEqual([{ ready: true, reason: 'ready' }]);
    expect(changes.at(-1)?.ready).toBe(true);
    expect(f.node.reconcileStatus().runs).toBeGreaterThanOrEqual(runs + 2);
  }, 60_000);

  it('a disk whose file is gone stays reported (NOT_SERVING naming it) while the rest is reconciled; deleting it ends that', async () => {
    const file = f.diskFile('d3', 256);
    await f.node.diskCreate({ name: 'd3', path: file });
    await f.node.replicaCreate('r3', 'd3', 8 * MIB);
    await converged();

    await live().kill();
    fs.rmSync(file);
    sims.push(await startSim({ name: 'node', socket: f.sim.socket, args: ['--mem-dump', path.join(f.dir, `mem-dump-${sims.length}.txt`)] }));
    // A run may also fail for a moment while the new simulator comes up: wait for d3's own failure.
    await waitFor('the reconcile to give up on d3', () => f.node.reconcileStatus().phase === 'failed' && f.node.reconcileStatus().problems.some((p) => p.startsWith('disk d3:')), CONVERGE_MS);

    const readiness = f.node.readiness();
    expect(readiness.ready).toBe(false);
    expect(readiness.reason).toContain(`disk d3: ${file} does not exist`);
    expect(f.node.reconcileStatus()).toMatchObject({ disks: { done: 2, total: 3 }, exports: { done: 12, total: 12 } });
    expectSame(await picture());
    expect((await f.node.diskList()).map((d) => d.name).sort()).toEqual(['d1', 'd2']);
    await expect(f.node.replicaGet('r3')).rejects.toMatchObject({ code: 'REPLICA_NOT_FOUND' });

    // The record is the operator's to end: a monitor pass then finds nothing left to do.
    await f.node.diskDelete('d3', false);
    await converged();
    expect(f.node.reconcileStatus().problems).toEqual([]);
  }, 60_000);

  it('a device that carries another lvstore than the recorded one is reported and detached, not adopted', async () => {
    const a = f.diskFile('d4', 256);
    const b = f.diskFile('d5', 256);
    await f.node.diskCreate({ name: 'd4', path: a });
    await f.node.diskCreate({ name: 'd5', path: b });
    await converged();

    // The two files change places while spdk_tgt is down: each device now carries the other's lvstore.
    await live().kill();
    fs.renameSync(a, `${a}.swap`);
    fs.renameSync(b, a);
    fs.renameSync(`${a}.swap`, b);
    sims.push(await startSim({ name: 'node', socket: f.sim.socket, args: ['--mem-dump', path.join(f.dir, `mem-dump-${sims.length}.txt`)] }));
    await waitFor('the reconcile to refuse d4 and d5', () => f.node.reconcileStatus().phase === 'failed' && f.node.reconcileStatus().problems.length === 2, CONVERGE_MS);

    const status = f.node.reconcileStatus();
    expect(status.problems[0]).toMatch(/^disk d4: its device carries lvstore lvs\.d5 .*not the recorded lvs\.d4 .*not adopted$/);
    expect(status.problems[1]).toMatch(/^disk d5: its device carries lvstore lvs\.d4 /);
    expect(f.node.readiness()).toMatchObject({ ready: false, reason: expect.stringContaining('disk d4: its device carries lvstore lvs.d5') });
    expect((await f.node.diskList()).map((d) => d.name).sort()).toEqual(['d1', 'd2']);
    const bdevs = await f.client.callUnchecked<Array<{ name: string }>>('bdev_get_bdevs');
    expect(bdevs.map((d) => d.name).filter((n) => n === 'd.d4' || n === 'd.d5')).toEqual([]);
    expectSame(await picture());

    // Put back, the next monitor pass attaches both with their own lvstores.
    fs.renameSync(a, `${a}.swap`);
    fs.renameSync(b, a);
    fs.renameSync(`${a}.swap`, b);
    await converged();
    expect((await f.node.diskList()).map((d) => d.name).sort()).toEqual(['d1', 'd2', 'd4', 'd5']);
    await f.node.diskDelete('d4', false);
    await f.node.diskDelete('d5', false);
  }, 60_000);
});
