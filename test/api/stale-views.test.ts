/**
 * Answers read from what the service holds say when spdk_tgt may differ: every List and Get
 * carries `stale` and `stale_reason` (the List on itself and on each object) and the
 * conductor-stale trailer; a watch event's object carries the fields; writes carry none. Fresh
 * answers say stale false.
 */
import type { Metadata } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import type { ReplicaEvent__Output } from '../../src/api/generated/spdk/conductor/v1/ReplicaEvent.js';
import { STALE_TRAILER } from '../../src/api/services/call.js';
import { startTestApi, waitFor, type TestApi } from './helpers/api-server.js';

const GiB = 1024 ** 3;
const REASON = 'spdk_tgt unreachable since 2026-01-01T00:00:00.000Z';

let api: TestApi;
let stale: string | undefined;
beforeEach(async () => {
  stale = undefined;
  api = await startTestApi({ stale: () => stale });
  await invoke(api.clients.disks, 'DiskCreate', { name: 'd1', path: '/dev/nvme0n1' });
  await invoke(api.clients.replicas, 'ReplicaCreate', { name: 'r1', diskName: 'd1', sizeBytes: GiB });
  await invoke(api.clients.snapshots, 'SnapshotCreate', { replicaName: 'r1', name: 's1' });
});
afterEach(async () => {
  await api.close();
});

/** The answer and the stale trailer it came with ('' when none). */
async function withTrailer<T>(call: (options: { onTrailers: (t: Metadata) => void }) => Promise<T>): Promise<[T, string]> {
  let trailer = '';
  const answer = await call({ onTrailers: (t) => (trailer = String(t.get(STALE_TRAILER)[0] ?? '')) });
  return [answer, trailer];
}

describe('stale views', () => {
  it('fresh answers say stale false and carry no trailer', async () => {
    const [list, trailer] = await withTrailer((o) => invoke(api.clients.replicas, 'ReplicaList', {}, o));
    expect(trailer).toBe('');
    expect([list.stale, list.staleReason]).toEqual([false, '']);
    expect(list.replicas.map((r) => [r.name, r.stale])).toEqual([['r1', false]]);
  });

  it('every List and Get says stale with the reason, on itself and on each object, and in the trailer', async () => {
    stale = REASON;
    const [disks, t1] = await withTrailer((o) => invoke(api.clients.disks, 'DiskList', {}, o));
    expect([disks.stale, disks.staleReason, t1]).toEqual([true, REASON, REASON]);
    expect(disks.disks.map((d) => [d.name, d.stale, d.staleReason])).toEqual([['d1', true, REASON]]);
    const [disk, t2] = await withTrailer((o) => invoke(api.clients.disks, 'DiskGet', { name: 'd1' }, o));
    expect([disk.stale, disk.staleReason, t2]).toEqual([true, REASON, REASON]);
    const [replicas] = await withTrailer((o) => invoke(api.clients.replicas, 'ReplicaList', {}, o));
    expect(replicas.replicas.map((r) => [r.name, r.stale, r.staleReason])).toEqual([['r1', true, REASON]]);
    const [replica, t3] = await withTrailer((o) => invoke(api.clients.replicas, 'ReplicaGet', { name: 'r1' }, o));
    expect([replica.stale, replica.staleReason, t3]).toEqual([true, REASON, REASON]);
    const [snapshots] = await withTrailer((o) => invoke(api.clients.snapshots, 'SnapshotList', { replicaName: 'r1' }, o));
    expect([snapshots.stale, snapshots.snapshots.map((s) => [s.name, s.stale])]).toEqual([true, [['s1', true]]]);
    const [engines] = await withTrailer((o) => invoke(api.clients.engines, 'EngineList', {}, o));
    expect([engines.stale, engines.staleReason]).toEqual([true, REASON]);
    const [rebuilds] = await withTrailer((o) => invoke(api.clients.engines, 'RebuildList', { engine: '' }, o));
    expect([rebuilds.stale, rebuilds.staleReason]).toEqual([true, REASON]);
  });

  it('a write answers as it is, without the stale fields', async () => {
    stale = REASON;
    const [expanded, trailer] = await withTrailer((o) => invoke(api.clients.replicas, 'ReplicaExpand', { name: 'r1', sizeBytes: 2 * GiB }, o));
    expect([expanded.stale, trailer]).toEqual([false, '']);
  });

  it("a watch event's object says stale while the view is", async () => {
    stale = REASON;
    const stream = api.clients.replicas.ReplicaWatch({});
    const events: ReplicaEvent__Output[] = [];
    stream.on('data', (e: ReplicaEvent__Output) => events.push(e));
    stream.on('error', () => undefined);
    try {
      const first = await waitFor('the initial list', () => events.find((e) => e.replica?.name === 'r1'));
      expect([first.replica?.stale, first.replica?.staleReason]).toEqual([true, REASON]);
      stale = undefined;
      await invoke(api.clients.replicas, 'ReplicaExpand', { name: 'r1', sizeBytes: 2 * GiB });
      const change = await waitFor('the expand event', () => events.find((e) => e.type === 'MODIFIED'));
      expect([change.replica?.stale, change.replica?.staleReason]).toEqual([false, '']);
    } finally {
      stream.cancel();
    }
  });
});
