/**
 * EngineSnapshotCreate/List/Delete and ReplicaClone over a real Unix socket against the fake
 * domain: requests arrive in the domain's shape, answers carry every field, and bad input is
 * refused at the edge naming the field, the domain never called.
 */
import { status } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import { startTestApi, type TestApi } from './helpers/api-server.js';

const GiB = 1024 ** 3;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';

describe('volume snapshots and clones over the API', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
    await api.domain.diskCreate({ name: 'd1', path: '/dev/sda' });
    for (const r of ['r1', 'r2']) await api.domain.replicaCreate(r, 'd1', GiB);
    await api.domain.engineCreate({
      name: 'vol1',
      sizeBytes: GiB,
      replicas: [
        { name: 'r1', kind: 'local' },
        { name: 'r2', kind: 'local' },
      ],
      frontend: 'export-only',
      hostNqns: [HOST],
    });
    api.domain.calls.length = 0;
  });
  afterEach(async () => {
    await api.close();
  });

  it('creates, lists and deletes a volume snapshot with every field', async () => {
    const made = await invoke(api.clients.engines, 'EngineSnapshotCreate', { engine: 'vol1', name: 's1', labels: { app: 'db' } });
    expect(api.domain.calls.map((c) => [c.method, c.args])).toEqual([['engineSnapshotCreate', [{ engine: 'vol1', name: 's1', labels: { app: 'db' } }]]]);
    expect({ ...made, createdAt: undefined }).toEqual({
      engine: 'vol1',
      name: 's1',
      createdAt: undefined,
      labels: { app: 'db' },
      members: ['r1', 'r2'],
      state: 'ready',
      consistency: 'unverified',
      identical: [],
    });
    expect(Number(made.createdAt?.seconds)).toBeGreaterThan(0);
    expect((await invoke(api.clients.engines, 'EngineSnapshotList', { engine: 'vol1' })).snapshots.map((s) => s.name)).toEqual(['s1']);
    expect(await invoke(api.clients.engines, 'EngineSnapshotDelete', { engine: 'vol1', name: 's1' })).toEqual({});
    expect((await invoke(api.clients.engines, 'EngineSnapshotList', { engine: 'vol1' })).snapshots).toEqual([]);
  });

  it('refuses bad names and labels at the edge, naming the field', async () => {
    for (const [request, field] of [
      [{ engine: 'Vol!', name: 's1' }, 'engine'],
      [{ engine: 'vol1', name: '' }, 'name'],
      [{ engine: 'vol1', name: 's1', labels: { '': 'x' } }, 'labels'],
    ] as const) {
      const error = await invoke(api.clients.engines, 'EngineSnapshotCreate', request).then(
        () => undefined,
        (e: { code: number; details: string }) => e,
      );
      expect(error?.code, JSON.stringify(request)).toBe(status.INVALID_ARGUMENT);
      expect(error?.details).toContain(field);
    }
    expect(api.domain.calls).toEqual([]);
  });

  it('ReplicaClone: the mode is required, and the request reaches the domain in its shape', async () => {
    await expect(invoke(api.clients.replicas, 'ReplicaClone', { name: 'c1', sourceReplica: 'r1', snapshot: 's1' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(invoke(api.clients.replicas, 'ReplicaClone', { name: 'c1', sourceReplica: 'r1', snapshot: 's1', mode: 'CLONE_MODE_FULL', sourceApiAddress: 'not an address' })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
    });
    expect(api.domain.calls).toEqual([]);
    await api.domain.snapshotCreate({ replicaName: 'r1', name: 's1' });
    const clone = await invoke(api.clients.replicas, 'ReplicaClone', { name: 'c1', sourceReplica: 'r1', snapshot: 's1', mode: 'CLONE_MODE_LINKED' });
    expect(clone.name).toBe('c1');
    expect(api.domain.calls.find((c) => c.method === 'replicaClone')?.args).toEqual([{ name: 'c1', sourceReplica: 'r1', snapshot: 's1', mode: 'linked' }]);
  });
});
