/**
 * Peers over gRPC against a real API server on TCP (the fake domain behind it): what a rebuild
 * asks of another node arrives in the domain's shape, the peer's errors come back as
 * ConductorErrors naming the peer, a copy stream reports progress, and a peer that goes silent
 * is given up on (its copy is cancelled). No peer call outlives its caller's signal.
 */
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConductorError } from '../../src/errors.js';
import type { ShallowCopyProgress } from '../../src/domain/model.js';
import { GrpcPeerDirectory } from '../../src/peers/grpc-peers.js';
import { startTestApi, waitFor, type TestApi } from '../api/helpers/api-server.js';

const TARGET = { address: '10.0.0.7', port: 20005, nqn: 'nqn.2024-11.io.spdk-conductor:replica:r9' };
let api: TestApi;
let peers: GrpcPeerDirectory;
let address: string;

beforeEach(async () => {
  api = await startTestApi({ tcpAddress: '127.0.0.1:0' });
  address = `127.0.0.1:${api.server.ports.tcp!.port}`;
  peers = new GrpcPeerDirectory(pino({ level: 'silent' }), { silenceMs: 400 });
  await api.domain.diskCreate({ name: 'd1', path: '/dev/sda' });
  await api.domain.replicaCreate('r1', 'd1', 1024 * 1024 * 1024);
});

afterEach(async () => {
  peers.close();
  await api.close();
});

describe('a peer over gRPC', () => {
  it('answers NodeInfo, replica and snapshot calls in the domain’s shape; one channel per address', async () => {
    const peer = peers.peer(address);
    expect(peers.peer(address)).toBe(peer);
    expect(peer.where).toBe(`node ${address}`);
    expect((await peer.nodeInfo()).hostNqn).toBe('nqn.2024-11.io.spdk-conductor:engine:fake-node');
    const exposed = await peer.replicaExpose('r1', ['nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10']);
    expect(exposed.export?.hostNqns).toEqual(['nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10']);
    const snapshot = await peer.snapshotCreate({ replicaName: 'r1', name: 's1', labels: { a: 'b' }, userCreated: false });
    expect(snapshot).toMatchObject({ name: 's1', replicaName: 'r1', labels: { a: 'b' }, userCreated: false, parent: undefined });
    expect(snapshot.createdAt).toBeInstanceOf(Date);
    expect((await peer.snapshotList('r1')).map((s) => s.name)).toEqual(['s1']);
    expect((await peer.replicaUnexpose('r1')).export).toBeUndefined();
  });

  it('turns the peer’s refusals into ConductorErrors that name the peer', async () => {
    const error = await peers
      .peer(address)
      .replicaGet('nope')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConductorError);
    expect(error).toMatchObject({ code: 'REPLICA_NOT_FOUND', message: expect.stringMatching(new RegExp(`^node ${address}: `)) });
  });

  it('reports a copy’s progress and its end', async () => {
    const seen: ShallowCopyProgress[] = [];
    const final = await peers.peer(address).snapshotShallowCopy('r1', 's1', TARGET, (p) => seen.push(p));
    expect(final).toEqual({ state: 'complete', copiedClusters: 4, totalClusters: 4, clusterSizeBytes: 1024 * 1024 });
    expect(seen.map((p) => p.copiedClusters)).toEqual([0, 2, 4]);
    expect(seen.map((p) => p.waitingFor)).toEqual([{ holder: 'backup bk-1', copiedClusters: 1, totalClusters: 3 }, undefined, undefined]);
  });

  it('gives up on a copy whose peer goes silent, and the peer’s copy is cancelled', async () => {
    api.domain.hang('snapshotShallowCopy');
    const error = await peers
      .peer(address)
      .snapshotShallowCopy('r1', 's1', TARGET, () => undefined)
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'PEER_SILENT', message: `node ${address}: no word of the shallow copy of s1 for 0.4 s` });
    const call = api.domain.calls.find((c) => c.method === 'snapshotShallowCopy')!;
    await waitFor("the peer's copy to be aborted", () => call.options?.signal?.aborted);
  });

  it('cancels the copy when the caller’s signal aborts', async () => {
    api.domain.hang('snapshotShallowCopy');
    const controller = new AbortController();
    const copy = peers
      .peer(address)
      .snapshotShallowCopy('r1', 's1', TARGET, () => undefined, { signal: controller.signal })
      .catch((e: unknown) => e);
    await waitFor('the copy to reach the peer', () => api.domain.calls.some((c) => c.method === 'snapshotShallowCopy'));
    controller.abort(new Error('rebuild cancelled'));
    expect(await copy).toMatchObject({ message: 'rebuild cancelled' });
    const call = api.domain.calls.find((c) => c.method === 'snapshotShallowCopy')!;
    await waitFor("the peer's copy to be aborted", () => call.options?.signal?.aborted);
  });

  it('over plain TCP is not confidential: it refuses to send secrets, and nothing reaches the peer', async () => {
    const peer = peers.peer(address);
    expect(peer.confidential).toBe(false);
    const secrets = { dhchapKey: 'DHHC-1:00:c2VjcmV0IHRoYXQgbXVzdCBub3QgbGVhdmUgdGhpcyBub2RlIQ==:' };
    const host = 'nqn.2024-11.io.spdk-conductor:copy-host:r1';
    const exposed = await peer.replicaExpose('r1', [host], undefined, 'add', new Map([[host, secrets]])).catch((e: unknown) => e);
    expect(exposed).toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/not over mutual TLS/) });
    const copied = await peer.snapshotShallowCopy('r1', 's1', { ...TARGET, host: { nqn: host, secrets } }, () => undefined).catch((e: unknown) => e);
    expect(copied).toMatchObject({ code: 'FAILED_PRECONDITION', message: expect.stringMatching(/not over mutual TLS/) });
    expect(api.domain.calls.filter((c) => c.method === 'replicaExpose' || c.method === 'snapshotShallowCopy')).toEqual([]);
  });

  it('is UNAVAILABLE, naming the peer, when nobody listens at the address', async () => {
    await api.close();
    const error = await peers
      .peer(address)
      .nodeInfo({ deadlineMs: 5000 })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'UNAVAILABLE', message: expect.stringContaining(`node ${address}: `) });
    api = await startTestApi();
  });
});
