import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConductorError } from '../../../src/errors.js';
import { namespaceIds, replicaNqn } from '../../../src/domain/node/naming.js';
import { startNode, type NodeFixture } from '../helpers/node-fixture.js';
import pino from 'pino';
import { SpdkClient } from '../../../src/spdk/client.js';
import { startSim } from '../../sim/helpers/start-sim.js';
import { spdkCallChannel, type SpdkCallContext } from '../../../src/diagnostics.js';
import { until } from '../../helpers/until.js';

const MIB = 1024 * 1024;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:8d2a6d6e-1111-4c5e-9c66-5a1b2c3d4e5f';
let f: NodeFixture;

/** One 4 KiB block starting with `text`, base64 for the simulator's sim_bdev_write. */
function block(text: string): string {
  const data = Buffer.alloc(4096);
  data.write(text);
  return data.toString('base64');
}

beforeAll(async () => {
  f = await startNode();
});
afterAll(async () => {
  await f.close();
});

async function code(work: Promise<unknown>): Promise<string> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ConductorError)) throw new Error(`expected a ConductorError, got ${String(err)}`);
  return err.code;
}

describe('disks', () => {
  it('creates an lvstore on a fresh file and reports its capacity', async () => {
    const disk = await f.node.diskCreate({ name: 'd1', path: f.diskFile('d1', 1024) });
    expect(disk).toMatchObject({ name: 'd1', kind: 'aio', lvstoreName: 'lvs.d1', clusterSizeBytes: MIB, adopted: false, replicaCount: 0 });
    expect(disk.totalBytes).toBeGreaterThan(900 * MIB);
    expect(disk.freeBytes).toBe(disk.totalBytes);
  });

  it('is idempotent, and refuses the same name on another device', async () => {
    const again = await f.node.diskCreate({ name: 'd1', path: `${f.dir}/d1.img` });
    expect(again.name).toBe('d1');
    expect(await code(f.node.diskCreate({ name: 'd1', path: f.diskFile('other') }))).toBe('DISK_EXISTS');
  });

  it('adopts its own lvstore after the disk is detached and attached again, keeping the replicas', async () => {
    const file = f.diskFile('d2', 256);
    await f.node.diskCreate({ name: 'd2', path: file });
    await f.node.replicaCreate('keep-me', 'd2', 16 * MIB);
    await expect(f.node.diskDelete('d2', false)).rejects.toMatchObject({ code: 'DISK_IN_USE' });
    await f.node.replicaDelete('keep-me');
    await f.node.replicaCreate('keep-me-2', 'd2', 16 * MIB);
    await f.node.replicaDelete('keep-me-2');
    await f.node.diskDelete('d2', false);
    const back = await f.node.diskCreate({ name: 'd2', path: file });
    expect(back.adopted).toBe(true);
  });

  it('refuses a device carrying an lvstore that is not ours, and leaves it untouched', async () => {
    const file = f.diskFile('foreign', 256);
    await f.client.call('bdev_aio_create', { name: 'foreign-aio', filename: file, block_size: 4096 });
    await f.client.call('bdev_lvol_create_lvstore', { bdev_name: 'foreign-aio', lvs_name: 'someone-elses' });
    await f.client.call('bdev_aio_delete', { name: 'foreign-aio' });
    expect(await code(f.node.diskCreate({ name: 'd3', path: file }))).toBe('DISK_NOT_EMPTY');
    const bdevs = await f.client.call<Array<{ name: string }>>('bdev_get_bdevs');
    expect(bdevs.map((b) => b.name)).not.toContain('d.d3');
    await expect(f.node.diskList()).resolves.not.toContainEqual(expect.objectContaining({ name: 'd3' }));
  });

  it('rejects bad input with INVALID_ARGUMENT and changes nothing', async () => {
    const before = await f.node.diskList();
    for (const [bad, expected] of [
      [{ name: 'Bad_Name', path: '/x' }, 'INVALID_NAME'],
      [{ name: 'x'.repeat(33), path: '/x' }, 'INVALID_NAME'],
      [{ name: 'ok', path: '' }, 'INVALID_PATH'],
      [{ name: 'ok', path: 'relative.img' }, 'INVALID_PATH'],
      [{ name: 'ok', path: '/x', clusterSizeBytes: 1000 }, 'INVALID_SIZE'],
    ] as const) {
      expect(await code(f.node.diskCreate(bad))).toBe(expected);
    }
    expect(await code(f.node.diskCreate({ name: 'ok', path: `${f.dir}/missing.img` }))).toBe('DISK_UNUSABLE');
    expect(await f.node.diskList()).toEqual(before);
  });
});

describe('replicas', () => {
  it('creates a thin replica, idempotently, and refuses a different one under the same name', async () => {
    const r = await f.node.replicaCreate('r1', 'd1', 64 * MIB);
    expect(r).toMatchObject({ name: 'r1', diskName: 'd1', sizeBytes: 64 * MIB, lvolAlias: 'lvs.d1/r.r1', allocatedBytes: 0, export: undefined, snapshotCount: 0 });
    await expect(f.node.replicaCreate('r1', 'd1', 64 * MIB)).resolves.toMatchObject({ lvolUuid: r.lvolUuid });
    expect(await code(f.node.replicaCreate('r1', 'd1', 128 * MIB))).toBe('REPLICA_EXISTS');
  });

  it('rejects bad sizes, names and disks without touching spdk_tgt', async () => {
    const before = (await f.client.call<unknown[]>('bdev_get_bdevs')).length;
    const cases: Array<[Promise<unknown>, string]> = [
      [f.node.replicaCreate('r-size0', 'd1', 0), 'INVALID_SIZE'],
      [f.node.replicaCreate('r-neg', 'd1', -MIB), 'INVALID_SIZE'],
      [f.node.replicaCreate('r-unaligned', 'd1', MIB + 512), 'INVALID_SIZE'],
      [f.node.replicaCreate('r-huge', 'd1', 1024 * 1024 * MIB), 'INVALID_SIZE'],
      [f.node.replicaCreate('R1', 'd1', MIB), 'INVALID_NAME'],
      [f.node.replicaCreate('r'.repeat(49), 'd1', MIB), 'INVALID_NAME'],
      [f.node.replicaCreate('r.dot', 'd1', MIB), 'INVALID_NAME'],
      [f.node.replicaCreate('r-nodisk', 'nodisk', MIB), 'DISK_NOT_FOUND'],
    ];
    for (const [work, expected] of cases) expect(await code(work)).toBe(expected);
    expect((await f.client.call<unknown[]>('bdev_get_bdevs')).length).toBe(before);
  });

  it('exposes to the given hosts only, with a namespace identity derived from the name', async () => {
    const r = await f.node.replicaExpose('r1', [HOST]);
    const ids = namespaceIds('replica', 'r1');
    expect(r.export).toMatchObject({ nqn: replicaNqn('r1'), address: '127.0.0.1', hostNqns: [HOST], namespaceUuid: ids.uuid, namespaceNguid: ids.nguid });
    const [subsystem] = await f.client.call<Array<{ allow_any_host: boolean; hosts: Array<{ nqn: string }>; namespaces: Array<{ uuid: string }>; listen_addresses: Array<{ trsvcid: string }> }>>(
      'nvmf_get_subsystems',
      { nqn: replicaNqn('r1') },
    );
    expect(subsystem!.allow_any_host).toBe(false);
    expect(subsystem!.hosts.map((h) => h.nqn)).toEqual([HOST]);
    expect(subsystem!.namespaces[0]!.uuid).toBe(ids.uuid);
    expect(Number(subsystem!.listen_addresses[0]!.trsvcid)).toBe(r.export!.port);
    // Idempotent; other hosts only as the mode says (issue 11 item 10).
    await expect(f.node.replicaExpose('r1', [HOST])).resolves.toMatchObject({ export: { port: r.export!.port } });
    const other = 'nqn.2024-11.io.example:engine-2';
    expect(await code(f.node.replicaExpose('r1', [other]))).toBe('EXPOSE_MODE_REQUIRED');
    await expect(f.node.replicaExpose('r1', [other], undefined, 'replace')).resolves.toMatchObject({ export: { hostNqns: [other] } });
    expect(await code(f.node.replicaExpose('r1', []))).toBe('INVALID_NQN');
    expect(await code(f.node.replicaExpose('r1', ['not-an-nqn']))).toBe('INVALID_NQN');
  });

  it('expands, refuses to shrink, and deletes everything it made', async () => {
    await expect(f.node.replicaExpand('r1', 128 * MIB)).resolves.toMatchObject({ sizeBytes: 128 * MIB });
    expect(await code(f.node.replicaExpand('r1', 64 * MIB))).toBe('INVALID_SIZE');
    await f.node.snapshotCreate({ replicaName: 'r1', name: 's1' });
    await f.node.replicaDelete('r1');
    await f.node.replicaDelete('r1');
    const bdevs = await f.client.call<Array<{ aliases: string[] }>>('bdev_get_bdevs');
    expect(bdevs.flatMap((b) => b.aliases).filter((a) => a.startsWith('lvs.d1/'))).toEqual([]);
    expect(await f.client.call<unknown[]>('nvmf_get_subsystems', {}).then((s) => (s as Array<{ nqn: string }>).filter((x) => x.nqn === replicaNqn('r1')))).toEqual([]);
    expect(await code(f.node.replicaGet('r1'))).toBe('REPLICA_NOT_FOUND');
  });

  it('runs 200 concurrent creates on one disk', async () => {
    const names = Array.from({ length: 200 }, (_, i) => `many-${i}`);
    const made = await Promise.all(names.map((n) => f.node.replicaCreate(n, 'd1', 4 * MIB)));
    expect(new Set(made.map((r) => r.lvolUuid)).size).toBe(200);
    expect((await f.node.replicaList('d1')).filter((r) => r.name.startsWith('many-'))).toHaveLength(200);
    await Promise.all(names.map((n) => f.node.replicaDelete(n)));
    expect((await f.node.replicaList('d1')).filter((r) => r.name.startsWith('many-'))).toHaveLength(0);
  });
});

describe('disk capacity after creates', () => {
  it("reads the lvstore a few times a second during a burst of creates, and ends with the disk's figures as its lvstore's", async () => {
    const reads: number[] = [];
    const onCall = (message: unknown): void => {
      if ((message as SpdkCallContext).method === 'bdev_lvol_get_lvstores') reads.push(performance.now());
    };
    await f.node.diskCreate({ name: 'burst', path: f.diskFile('burst', 1024) });
    spdkCallChannel.asyncEnd.subscribe(onCall);
    const names = Array.from({ length: 120 }, (_, i) => `burst-${i}`);
    const started = performance.now();
    try {
      // Each create asks for a refresh; one after another, each is asked while the last read may still run.
      for (const n of names) await f.node.replicaCreate(n, 'burst', 4 * MIB);
      const elapsed = performance.now() - started;
      // The first read at once, then one per 250 ms at most while creates keep asking, and one after the last.
      expect(reads.length).toBeLessThanOrEqual(Math.ceil(elapsed / 250) + 2);
      const lvstore = async () => (await f.client.call<Array<{ free_clusters: number; cluster_size: number }>>('bdev_lvol_get_lvstores', { lvs_name: 'lvs.burst' }))[0]!;
      await until("the disk's free bytes as its lvstore's", async () => {
        const lvs = await lvstore();
        return (await f.node.diskGet('burst')).freeBytes === lvs.free_clusters * lvs.cluster_size;
      });
    } finally {
      spdkCallChannel.asyncEnd.unsubscribe(onCall);
      await Promise.all(names.map((n) => f.node.replicaDelete(n)));
      await f.node.diskDelete('burst', false);
    }
  });
});

describe('snapshots', () => {
  it('builds a chain, lists it oldest first with metadata, deletes by merging, reverts the head', async () => {
    await f.node.replicaCreate('rs', 'd1', 16 * MIB);
    await f.client.callUnchecked('sim_bdev_write', { name: 'lvs.d1/r.rs', offset_blocks: 0, data_base64: block('one') });
    const s1 = await f.node.snapshotCreate({ replicaName: 'rs', name: 's1', labels: { why: 'test' } });
    expect(s1).toMatchObject({ name: 's1', replicaName: 'rs', labels: { why: 'test' }, parent: undefined, children: [''], userCreated: true });
    await f.client.callUnchecked('sim_bdev_write', { name: 'lvs.d1/r.rs', offset_blocks: 0, data_base64: block('two') });
    await f.node.snapshotCreate({ replicaName: 'rs', name: 's2', userCreated: false });
    await f.node.snapshotCreate({ replicaName: 'rs', name: 's3' });
    const chain = await f.node.snapshotList('rs');
    expect(chain.map((s) => [s.name, s.parent, s.children])).toEqual([
      ['s1', undefined, ['s2']],
      ['s2', 's1', ['s3']],
      ['s3', 's2', ['']],
    ]);
    expect(chain[0]!.createdAt.getTime()).toBeGreaterThan(Date.now() - 60_000);
    await expect(f.node.snapshotCreate({ replicaName: 'rs', name: 's1', labels: { why: 'test' } })).resolves.toMatchObject({ name: 's1' });
    expect(await code(f.node.snapshotCreate({ replicaName: 'rs', name: 's1', labels: { why: 'other' } }))).toBe('SNAPSHOT_EXISTS');

    await expect(f.node.snapshotPurge('rs')).resolves.toEqual(['s2']);
    expect((await f.node.snapshotList('rs')).map((s) => [s.name, s.parent])).toEqual([
      ['s1', undefined],
      ['s3', 's1'],
    ]);

    const reverted = await f.node.snapshotRevert('rs', 's1');
    expect(reverted.headParent).toBe('s1');
    const head = await f.client.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: 'lvs.d1/r.rs', offset_blocks: 0, num_blocks: 1 });
    expect(Buffer.from(head.data_base64, 'base64').subarray(0, 3).toString()).toBe('one');
    const s1Now = (await f.node.snapshotList('rs')).find((s) => s.name === 's1')!;
    expect(s1Now.children.sort()).toEqual(['', 's3']);
    expect(await code(f.node.snapshotDelete('rs', 's1'))).toBe('SNAPSHOT_HAS_CHILDREN');
    await f.node.snapshotDelete('rs', 's3');
    await f.node.snapshotDelete('rs', 's3');
    expect(await code(f.node.snapshotRevert('rs', 'nope'))).toBe('SNAPSHOT_NOT_FOUND');
  });

  it('reverts an exposed replica no host is connected to, keeping its export; refuses while one is', async () => {
    const exposed = await f.node.replicaExpose('rs', [HOST]);
    const host = await startSim({ name: 'host' });
    const rpc = new SpdkClient({ socketPath: host.socket, logger: pino({ level: 'silent' }) });
    try {
      const attach = { name: 'h', trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: String(exposed.export!.port), subnqn: exposed.export!.nqn, hostnqn: HOST };
      await rpc.call('bdev_nvme_attach_controller', attach);
      const refused = await f.node.snapshotRevert('rs', 's1').catch((e: unknown) => e as ConductorError);
      expect(refused).toBeInstanceOf(ConductorError);
      expect((refused as ConductorError).code).toBe('REPLICA_EXPOSED');
      expect((refused as ConductorError).message).toContain(HOST);
      await rpc.call('bdev_nvme_detach_controller', { name: 'h' });

      await f.client.callUnchecked('sim_bdev_write', { name: 'lvs.d1/r.rs', offset_blocks: 0, data_base64: Buffer.alloc(4096, 0x7a).toString('base64') });
      const reverted = await f.node.snapshotRevert('rs', 's1');
      expect(reverted.export).toEqual(exposed.export);
      // The host reads the snapshot's data through the same export.
      const [bdev] = await rpc.call<string[]>('bdev_nvme_attach_controller', attach);
      const read = await rpc.callUnchecked<{ data_base64: string }>('sim_bdev_read', { name: bdev!, offset_blocks: 0, num_blocks: 1 });
      expect(Buffer.from(read.data_base64, 'base64').subarray(0, 3).toString()).toBe('one');
      await rpc.call('bdev_nvme_detach_controller', { name: 'h' });
    } finally {
      await rpc.close();
      await host.stop();
    }
    await f.node.replicaUnexpose('rs');
  }, 60_000);
});

describe('restart', () => {
  it('rebuilds disks, replicas, exports and snapshot metadata from spdk_tgt and the state file', async () => {
    await f.node.replicaCreate('persist', 'd1', 8 * MIB);
    await f.node.replicaExpose('persist', [HOST]);
    await f.node.snapshotCreate({ replicaName: 'persist', name: 'snap', labels: { a: 'b' } });
    const before = { disks: await f.node.diskList(), replicas: await f.node.replicaList(undefined), snaps: await f.node.snapshotList('persist') };
    await f.restart();
    expect(await f.node.diskList()).toEqual(before.disks.map((d) => ({ ...d, adopted: false })));
    expect(await f.node.replicaList(undefined)).toEqual(before.replicas);
    expect(await f.node.snapshotList('persist')).toEqual(before.snaps);
  });

  it('streams replica changes with reasons after the initial list', async () => {
    const events: string[] = [];
    const unsubscribe = f.node.replicaWatch((e) => events.push(`${e.type}:${e.replica?.name ?? ''}:${e.reason}`));
    await f.node.replicaCreate('watched', 'd1', 4 * MIB);
    await f.node.replicaDelete('watched');
    unsubscribe();
    expect(events.filter((e) => e.startsWith('synced'))).toHaveLength(1);
    expect(events.slice(-2)).toEqual(['added:watched:created', 'deleted:watched:deleted']);
  });
});

describe('create and expose in one call', () => {
  it('creates and exposes, and removes the replica it made when the export fails', async () => {
    const r = await f.node.replicaCreate('both', 'd1', 4 * MIB, undefined, [HOST]);
    expect(r.export?.hostNqns).toEqual([HOST]);
    await expect(f.node.replicaCreate('both-bad', 'd1', 4 * MIB, undefined, ['not-an-nqn'])).rejects.toMatchObject({ code: 'INVALID_NQN' });
    await expect(f.node.replicaGet('both-bad')).rejects.toMatchObject({ code: 'REPLICA_NOT_FOUND' });
    await f.node.replicaDelete('both');
  });

  it('removes the subsystem it made beside the head when the head cannot be made', async () => {
    await f.node.replicaCreate('dup', 'd1', 4 * MIB);
    await expect(f.node.replicaCreate('dup', 'd1', 8 * MIB, undefined, [HOST])).rejects.toMatchObject({ code: 'REPLICA_EXISTS' });
    const subsystems = await f.client.call<Array<{ nqn: string }>>('nvmf_get_subsystems');
    expect(subsystems.map((s) => s.nqn)).not.toContain(replicaNqn('dup'));
    // The replica that existed before is untouched.
    await expect(f.node.replicaGet('dup')).resolves.toMatchObject({ sizeBytes: 4 * MIB, export: undefined });
    await f.node.replicaDelete('dup');
  });
});
