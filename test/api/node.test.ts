/**
 * The Node service and the SnapshotShallowCopy stream over a real socket against the fake domain:
 * what a peer's rebuild relies on. The stream carries progress and ends when the copy is done; a
 * client that cancels aborts the domain's copy (which detaches its target); bad targets are
 * refused at the edge, the domain never called.
 */
import { status, type ClientReadableStream } from '@grpc/grpc-js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { invoke } from '../../src/api/client.js';
import type { ShallowCopyProgress__Output } from '../../src/api/generated/spdk/conductor/v1/ShallowCopyProgress.js';
import { startTestApi, waitFor, type TestApi } from './helpers/api-server.js';

const TARGET = { targetAddress: '10.0.0.7', targetPort: 20005, targetNqn: 'nqn.2024-11.io.spdk-conductor:replica:r9' };

function collect(stream: ClientReadableStream<ShallowCopyProgress__Output>): Promise<{ messages: ShallowCopyProgress__Output[]; error?: { code: number; details: string } }> {
  const messages: ShallowCopyProgress__Output[] = [];
  return new Promise((resolve) => {
    stream.on('data', (m: ShallowCopyProgress__Output) => messages.push(m));
    stream.on('error', (error: { code: number; details: string }) => resolve({ messages, error }));
    stream.on('end', () => resolve({ messages }));
  });
}

describe('Node and SnapshotShallowCopy', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
  });
  afterEach(async () => {
    await api.close();
  });

  it('NodeInfo tells a peer what this node is', async () => {
    expect(await invoke(api.clients.node, 'NodeInfo', {})).toEqual({
      hostNqn: 'nqn.2024-11.io.spdk-conductor:engine:fake-node',
      spdkVersion: 'SPDK v26.05',
      simulator: true,
      shallowCopy: true,
      exportAddress: '10.0.0.9',
      version: '0.1.0',
      maxSubsystems: 2048,
      maxSubsystemsSource: 'spdk_tgt',
      reactorMode: 'polling',
      apiTcpSecurity: 'off',
      apiTcpClientCertRequired: false,
      apiTcpCertificateNotAfter: '',
    });
  });

  it('streams the copy’s progress and ends when it is complete', async () => {
    const { messages, error } = await collect(api.clients.snapshots.SnapshotShallowCopy({ replicaName: 'r1', snapshotName: 's1', ...TARGET }));
    expect(error).toBeUndefined();
    const idle = { waitingFor: '', waitingCopiedClusters: 0, waitingTotalClusters: 0 };
    expect(messages).toEqual([
      // Waiting for another copy of the snapshot (a backup's stage): who, and how far it got.
      { state: 'in progress', copiedClusters: 0, totalClusters: 0, clusterSizeBytes: 1024 * 1024, waitingFor: 'backup bk-1', waitingCopiedClusters: 1, waitingTotalClusters: 3 },
      { state: 'in progress', copiedClusters: 2, totalClusters: 4, clusterSizeBytes: 1024 * 1024, ...idle },
      { state: 'complete', copiedClusters: 4, totalClusters: 4, clusterSizeBytes: 1024 * 1024, ...idle },
    ]);
    expect(api.domain.calls.at(-1)).toMatchObject({ method: 'snapshotShallowCopy', args: ['r1', 's1', { address: '10.0.0.7', port: 20005, nqn: TARGET.targetNqn }] });
  });

  it('aborts the domain’s copy when the client cancels', async () => {
    api.domain.hang('snapshotShallowCopy');
    const stream = api.clients.snapshots.SnapshotShallowCopy({ replicaName: 'r1', snapshotName: 's1', ...TARGET });
    const done = collect(stream);
    const call = await waitFor('the copy to reach the domain', () => api.domain.calls.find((c) => c.method === 'snapshotShallowCopy'));
    stream.cancel();
    expect((await done).error?.code).toBe(status.CANCELLED);
    await waitFor("the domain's signal to abort", () => call.options?.signal?.aborted);
  });

  it.each([
    ['a bad target NQN', { ...TARGET, targetNqn: 'not-an-nqn' }, 'target_nqn'],
    ['port 0', { ...TARGET, targetPort: 0 }, 'target_port'],
    ['an IPv6 address', { ...TARGET, targetAddress: 'fe80::1' }, 'target_address'],
  ])('refuses %s with INVALID_ARGUMENT naming the field, the domain untouched', async (_what, target, field) => {
    const { error } = await collect(api.clients.snapshots.SnapshotShallowCopy({ replicaName: 'r1', snapshotName: 's1', ...target }));
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toContain(field);
    expect(api.domain.calls.some((c) => c.method === 'snapshotShallowCopy')).toBe(false);
  });
});
