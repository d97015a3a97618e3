/**
 * Malformed requests fail at the edge with INVALID_ARGUMENT naming the field, and the domain is
 * never called: one case per class of bad input.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { invoke, type ApiClients } from '../../src/api/client.js';
import { startTestApi, type TestApi } from './helpers/api-server.js';

const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api.close();
});
beforeEach(() => {
  api.domain.calls.length = 0;
});

type Case = [what: string, call: (c: ApiClients) => Promise<unknown>, field: RegExp];

const cases: Case[] = [
  ['a missing disk name', (c) => invoke(c.disks, 'DiskCreate', { path: '/dev/sda' }), /^name: a disk name is required/],
  ['a disk name with capitals', (c) => invoke(c.disks, 'DiskGet', { name: 'Disk1' }), /^name: disk name "Disk1" is not allowed; use lowercase letters/],
  ['a disk name starting with "-"', (c) => invoke(c.disks, 'DiskDelete', { name: '-d' }), /^name: .*starting with a letter or digit/],
  ['a disk name with a dot', (c) => invoke(c.disks, 'DiskGet', { name: 'd.1' }), /^name: disk name "d.1" is not allowed/],
  ['a disk name of 33 characters', (c) => invoke(c.disks, 'DiskGet', { name: 'd'.repeat(33) }), /^name: disk name "d{33}" is 33 characters long; use at most 32/],
  ['a relative aio path', (c) => invoke(c.disks, 'DiskCreate', { name: 'd1', path: 'dev/sda' }), /^path: "dev\/sda" is not an absolute path/],
  ['a missing path', (c) => invoke(c.disks, 'DiskCreate', { name: 'd1' }), /^path: the device or file path is required/],
  ['an nvme path that is not a BDF', (c) => invoke(c.disks, 'DiskCreate', { name: 'd1', path: '/dev/nvme0', kind: 'DISK_KIND_NVME' }), /^path: .*not a PCIe address/],
  ['an unknown disk kind', (c) => invoke(c.disks, 'DiskCreate', { name: 'd1', path: '/dev/sda', kind: 7 as never }), /^kind: unknown disk kind 7/],
  ['a block size that is not a power of two', (c) => invoke(c.disks, 'DiskCreate', { name: 'd1', path: '/dev/sda', blockSize: 1000 }), /^block_size: 1000 is not allowed/],
  ['a block size on an nvme disk', (c) => invoke(c.disks, 'DiskCreate', { name: 'd1', path: '0000:5e:00.0', kind: 'DISK_KIND_NVME', blockSize: 4096 }), /^block_size: applies to aio disks only/],
  ['a cluster size below 4 KiB', (c) => invoke(c.disks, 'DiskCreate', { name: 'd1', path: '/dev/sda', clusterSizeBytes: 2048 }), /^cluster_size_bytes: 2048 is not allowed/],
  ['a replica name of 49 characters', (c) => invoke(c.replicas, 'ReplicaGet', { name: 'r'.repeat(49) }), /^name: replica name "r{49}" is 49 characters long; use at most 48/],
  ['a replica without a disk', (c) => invoke(c.replicas, 'ReplicaCreate', { name: 'r1', sizeBytes: 1 << 20 }), /^disk_name: a disk name is required/],
  ['a replica of size 0', (c) => invoke(c.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd1', sizeBytes: 0 }), /^size_bytes: must be greater than 0 bytes/],
  ['a size past 2^53', (c) => invoke(c.replicas, 'ReplicaExpand', { name: 'r1', sizeBytes: '18014398509481985' }), /^size_bytes: \d+ is too large; sizes must be below 2\^53 bytes/],
  ['a bad disk filter on list', (c) => invoke(c.replicas, 'ReplicaList', { diskName: 'D' }), /^disk_name: disk name "D" is not allowed/],
  ['an expose without hosts', (c) => invoke(c.replicas, 'ReplicaExpose', { name: 'r1', hostNqns: [] }), /^host_nqns: at least one host NQN is required/],
  [
    'a host that is not an NQN',
    (c) => invoke(c.replicas, 'ReplicaExpose', { name: 'r1', hostNqns: [HOST, 'iqn.2020-01.com.example:h'] }),
    /^host_nqns\[1\]: "iqn\.2020-01\.com\.example:h" is not an NQN/,
  ],
  ['an NQN with month 13', (c) => invoke(c.replicas, 'ReplicaExpose', { name: 'r1', hostNqns: ['nqn.2014-13.org.example:h'] }), /^host_nqns\[0\]: .* is not an NQN/],
  ['an NQN without a reverse domain', (c) => invoke(c.replicas, 'ReplicaExpose', { name: 'r1', hostNqns: ['nqn.2014-08.localhost:h'] }), /^host_nqns\[0\]: .* is not an NQN/],
  [
    'an NQN over 223 bytes',
    (c) => invoke(c.replicas, 'ReplicaExpose', { name: 'r1', hostNqns: [`nqn.2014-08.org.example:${'h'.repeat(200)}`] }),
    /^host_nqns\[0\]: ".*"… is 224 bytes long; an NQN is at most 223/,
  ],
  [
    'a UUID NQN whose tail is not a UUID',
    (c) => invoke(c.replicas, 'ReplicaExpose', { name: 'r1', hostNqns: ['nqn.2014-08.org.nvmexpress:uuid:abc'] }),
    /^host_nqns\[0\]: .* is a UUID NQN whose tail is not a UUID/,
  ],
  ['a host listed twice', (c) => invoke(c.replicas, 'ReplicaExpose', { name: 'r1', hostNqns: [HOST, HOST] }), /^host_nqns\[1\]: .* is listed twice/],
  ['a snapshot without a replica', (c) => invoke(c.snapshots, 'SnapshotCreate', { name: 's1' }), /^replica_name: a replica name is required/],
  ['a snapshot name with "_"', (c) => invoke(c.snapshots, 'SnapshotCreate', { replicaName: 'r1', name: 's_1' }), /^name: snapshot name "s_1" is not allowed/],
  ['a snapshot name of 49 characters', (c) => invoke(c.snapshots, 'SnapshotDelete', { replicaName: 'r1', name: 's'.repeat(49) }), /^name: snapshot name "s{49}" is 49 characters long/],
  ['a bad label key', (c) => invoke(c.snapshots, 'SnapshotCreate', { replicaName: 'r1', name: 's1', labels: { 'has space': 'x' } }), /^labels: label key "has space" is not allowed/],
  ['a revert without a snapshot name', (c) => invoke(c.snapshots, 'SnapshotRevert', { replicaName: 'r1' }), /^name: a snapshot name is required/],
  ['a purge with a bad replica name', (c) => invoke(c.snapshots, 'SnapshotPurge', { replicaName: 'R1' }), /^replica_name: replica name "R1" is not allowed/],
];

describe('bad input is refused at the edge', () => {
  it.each(cases)('%s → INVALID_ARGUMENT naming the field, domain untouched', async (_what, call, message) => {
    const err = await call(api.clients).then(
      () => undefined,
      (e: unknown) => e as { code: number; details: string },
    );
    expect(err, 'the call should have failed').toBeDefined();
    expect(err!.code).toBe(status.INVALID_ARGUMENT);
    expect(err!.details).toMatch(message);
    expect(api.domain.calls).toEqual([]);
  });

  it('accepts the longest valid names and an NQN of exactly 223 bytes', async () => {
    const nqn = `nqn.2014-08.org.example:${'h'.repeat(199)}`;
    expect(Buffer.byteLength(nqn)).toBe(223);
    await invoke(api.clients.disks, 'DiskCreate', { name: 'd'.repeat(32), path: '/dev/sda' });
    await invoke(api.clients.replicas, 'ReplicaCreate', { name: 'r'.repeat(48), diskName: 'd'.repeat(32), sizeBytes: 1 << 20 });
    await invoke(api.clients.replicas, 'ReplicaExpose', { name: 'r'.repeat(48), hostNqns: [nqn] });
    await invoke(api.clients.snapshots, 'SnapshotCreate', { replicaName: 'r'.repeat(48), name: '0'.repeat(48) });
    expect(api.domain.calls.map((c) => c.method)).toEqual(['diskCreate', 'replicaCreate', 'replicaExpose', 'snapshotCreate']);
  });
});
