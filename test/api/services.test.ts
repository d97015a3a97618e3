/**
 * Every RPC of the node API over a real Unix socket against the fake domain: happy paths carry
 * the domain's objects through faithfully, NOT_FOUND and ALREADY_EXISTS come back as such, and
 * the caller's deadline and cancellation reach the domain.
 */
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import { startTestApi, waitFor, type TestApi } from './helpers/api-server.js';

const GiB = 1024 ** 3;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';

let api: TestApi;
beforeEach(async () => {
  api = await startTestApi();
});
afterEach(async () => {
  await api.close();
});

async function seed(): Promise<void> {
  await invoke(api.clients.disks, 'DiskCreate', { name: 'd1', path: '/dev/nvme0n1' });
  await invoke(api.clients.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd1', sizeBytes: GiB });
}

describe('Disks', () => {
  it('creates, gets, lists and deletes a disk, with every field of the domain object', async () => {
    const created = await invoke(api.clients.disks, 'DiskCreate', { name: 'd1', path: '/dev/nvme0n1', clusterSizeBytes: 4 * 1024 * 1024 });
    expect(created).toEqual({
      name: 'd1',
      kind: 'DISK_KIND_AIO',
      path: '/dev/nvme0n1',
      bdevName: 'd.d1',
      lvstoreName: 'lvs.d1',
      lvstoreUuid: '6f1b2c3d-0000-4000-8000-000000000001',
      clusterSizeBytes: 4 * 1024 * 1024,
      blockSize: 4096,
      totalBytes: 4 * GiB,
      freeBytes: 4 * GiB,
      allocatedBytes: 0,
      replicaCount: 0,
      adopted: false,
      stale: false,
      staleReason: '',
    });
    expect(api.domain.calls[0]).toMatchObject({ method: 'diskCreate', args: [{ name: 'd1', path: '/dev/nvme0n1', kind: 'aio', clusterSizeBytes: 4 * 1024 * 1024 }] });
    expect(await invoke(api.clients.disks, 'DiskGet', { name: 'd1' })).toEqual(created);
    expect((await invoke(api.clients.disks, 'DiskList', {})).disks).toEqual([created]);
    await invoke(api.clients.disks, 'DiskDelete', { name: 'd1' });
    expect((await invoke(api.clients.disks, 'DiskList', {})).disks).toEqual([]);
  });

  it('passes an nvme disk by BDF with its kind', async () => {
    const disk = await invoke(api.clients.disks, 'DiskCreate', { name: 'fast', path: '0000:5E:00.0', kind: 'DISK_KIND_NVME' });
    expect(disk.kind).toBe('DISK_KIND_NVME');
    expect(api.domain.calls[0]!.args[0]).toEqual({ name: 'fast', path: '0000:5e:00.0', kind: 'nvme' });
  });

  it('is NOT_FOUND for a missing disk and ALREADY_EXISTS for a different one under the same name', async () => {
    await expect(invoke(api.clients.disks, 'DiskGet', { name: 'nope' })).rejects.toMatchObject({ code: status.NOT_FOUND, details: expect.stringMatching(/disk nope not found/) });
    await invoke(api.clients.disks, 'DiskCreate', { name: 'd1', path: '/dev/sda' });
    await expect(invoke(api.clients.disks, 'DiskCreate', { name: 'd1', path: '/dev/sdb' })).rejects.toMatchObject({
      code: status.ALREADY_EXISTS,
      details: 'disk d1 exists on /dev/sda, not /dev/sdb',
    });
  });

  it('passes wipe through on delete and reports FAILED_PRECONDITION from the domain', async () => {
    await seed();
    await expect(invoke(api.clients.disks, 'DiskDelete', { name: 'd1' })).rejects.toMatchObject({ code: status.FAILED_PRECONDITION });
    await invoke(api.clients.disks, 'DiskDelete', { name: 'd1', wipe: true });
    expect(api.domain.calls.filter((c) => c.method === 'diskDelete').map((c) => c.args)).toEqual([
      ['d1', false],
      ['d1', true],
    ]);
  });
});

describe('Replicas', () => {
  it('creates, gets, lists (all and by disk), expands and deletes a replica', async () => {
    await seed();
    const replica = await invoke(api.clients.replicas, 'ReplicaGet', { name: 'r1' });
    expect(replica).toEqual({
      name: 'r1',
      diskName: 'd1',
      sizeBytes: GiB,
      lvolUuid: '7a2b3c4d-0000-4000-8000-000000000002',
      lvolAlias: 'lvs.d1/r.r1',
      allocatedBytes: 0,
      export: null,
      headParent: '',
      snapshotCount: 0,
      clone: null,
      stale: false,
      staleReason: '',
    });
    expect((await invoke(api.clients.replicas, 'ReplicaList', {})).replicas.map((r) => r.name)).toEqual(['r1']);
    expect((await invoke(api.clients.replicas, 'ReplicaList', { diskName: 'other' })).replicas).toEqual([]);
    expect(api.domain.calls.filter((c) => c.method === 'replicaList').map((c) => c.args)).toEqual([[undefined], ['other']]);
    expect((await invoke(api.clients.replicas, 'ReplicaExpand', { name: 'r1', sizeBytes: 2 * GiB })).sizeBytes).toBe(2 * GiB);
    await invoke(api.clients.replicas, 'ReplicaDelete', { name: 'r1' });
    await invoke(api.clients.replicas, 'ReplicaDelete', { name: 'r1' });
    await expect(invoke(api.clients.replicas, 'ReplicaGet', { name: 'r1' })).rejects.toMatchObject({ code: status.NOT_FOUND });
  });

  it('exposes to the given hosts and unexposes', async () => {
    await seed();
    const exposed = await invoke(api.clients.replicas, 'ReplicaExpose', { name: 'r1', hostNqns: [HOST] });
    expect(exposed.export).toEqual({
      hostAuth: [],
      secureChannel: false,
      nqn: 'nqn.2024-11.io.spdk-conductor:replica:r1',
      address: '10.0.0.5',
      port: 4420,
      hostNqns: [HOST],
      namespaceUuid: '8b3c4d5e-0000-4000-8000-000000000003',
      namespaceNguid: '8B3C4D5E000040008000000000000003',
    });
    expect((await invoke(api.clients.replicas, 'ReplicaUnexpose', { name: 'r1' })).export).toBeNull();
  });

  it('is NOT_FOUND on a missing disk and ALREADY_EXISTS on a replica that differs', async () => {
    await expect(invoke(api.clients.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd9', sizeBytes: GiB })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await seed();
    expect((await invoke(api.clients.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd1', sizeBytes: GiB })).name).toBe('r1');
    await expect(invoke(api.clients.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd1', sizeBytes: 2 * GiB })).rejects.toMatchObject({
      code: status.ALREADY_EXISTS,
    });
  });
});

describe('Snapshots', () => {
  it('creates with labels, lists with links and times, reverts, purges system snapshots and deletes', async () => {
    await seed();
    const s1 = await invoke(api.clients.snapshots, 'SnapshotCreate', { replicaName: 'r1', name: 's1', labels: { backup: 'b-1' }, userCreated: true });
    expect(s1).toEqual({
      name: 's1',
      replicaName: 'r1',
      createdAt: { seconds: Date.parse('2025-01-02T03:04:05Z') / 1000, nanos: 678_000_000 },
      labels: { backup: 'b-1' },
      parent: '',
      children: [''],
      sizeBytes: GiB,
      allocatedBytes: 0,
      userCreated: true,
      stale: false,
      staleReason: '',
      deletePending: false,
    });
    await invoke(api.clients.snapshots, 'SnapshotCreate', { replicaName: 'r1', name: 'rebuild-1' });
    const listed = (await invoke(api.clients.snapshots, 'SnapshotList', { replicaName: 'r1' })).snapshots;
    expect(listed.map((s) => [s.name, s.parent, s.children, s.userCreated])).toEqual([
      ['s1', '', ['rebuild-1'], true],
      ['rebuild-1', 's1', [''], false],
    ]);
    expect((await invoke(api.clients.snapshots, 'SnapshotRevert', { replicaName: 'r1', name: 's1' })).headParent).toBe('s1');
    expect((await invoke(api.clients.snapshots, 'SnapshotPurge', { replicaName: 'r1' })).deleted).toEqual(['rebuild-1']);
    await invoke(api.clients.snapshots, 'SnapshotDelete', { replicaName: 'r1', name: 's1' });
    expect((await invoke(api.clients.snapshots, 'SnapshotList', { replicaName: 'r1' })).snapshots).toEqual([]);
  });

  it('is NOT_FOUND for a snapshot of a missing replica and FAILED_PRECONDITION reverting an exposed one', async () => {
    await expect(invoke(api.clients.snapshots, 'SnapshotList', { replicaName: 'ghost' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await seed();
    await invoke(api.clients.snapshots, 'SnapshotCreate', { replicaName: 'r1', name: 's1' });
    await invoke(api.clients.replicas, 'ReplicaExpose', { name: 'r1', hostNqns: [HOST] });
    await expect(invoke(api.clients.snapshots, 'SnapshotRevert', { replicaName: 'r1', name: 's1' })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: 'replica r1 is exposed; unexpose it before reverting',
    });
  });
});

describe('deadlines and cancellation', () => {
  it("hands the caller's remaining deadline to the domain, and aborts the domain call when it passes", async () => {
    api.domain.hang('diskList');
    await expect(invoke(api.clients.disks, 'DiskList', {}, { deadlineMs: 300 })).rejects.toMatchObject({ code: status.DEADLINE_EXCEEDED });
    const { options } = api.domain.calls[0]!;
    expect(options?.deadlineMs).toBeGreaterThan(0);
    expect(options?.deadlineMs).toBeLessThanOrEqual(300);
    await waitFor('the domain call to be aborted', () => options?.signal?.aborted);
  });

  it('aborts the domain call when the client cancels', async () => {
    api.domain.hang('replicaGet');
    const controller = new AbortController();
    const pending = invoke(api.clients.replicas, 'ReplicaGet', { name: 'r1' }, { signal: controller.signal });
    await waitFor('the call to reach the domain', () => api.domain.calls.length === 1);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: status.CANCELLED });
    await waitFor('the domain call to be aborted', () => api.domain.calls[0]!.options?.signal?.aborted);
  });

  it('passes no deadline when the caller set none, so the domain applies its own', async () => {
    await invoke(api.clients.disks, 'DiskList', {});
    expect(api.domain.calls[0]!.options?.deadlineMs).toBeUndefined();
  });
});
