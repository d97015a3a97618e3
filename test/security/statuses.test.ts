/**
 * Issue 11, item 8, through the real API of a real service on the simulator: spdk_tgt's EPERM on a
 * claimed bdev and EIO from an unreachable copy target, and a state directory that is full or
 * read-only, each reach the caller as a status and code it can act on; a delete done in spdk_tgt
 * whose record could not be written reports success and converges.
 *
 * The full filesystem is simulated with the state file's test-only fault switch
 * (CONDUCTOR_STATE_WRITE_FAULT, src/domain/node/write-faults.ts): the service runs in this process,
 * so the switch is flipped exactly when spdk_tgt is asked to delete (a diagnostics subscription).
 */
import diagnostics_channel from 'node:diagnostics_channel';
import fs from 'node:fs';
import path from 'node:path';
import { status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiClients, invoke, isServiceError, type ApiClients } from '../../src/api/client.js';
import type { SpdkCallContext } from '../../src/diagnostics.js';
import { startNode, type NodeFixture } from '../domain/helpers/node-fixture.js';
import { portBlock } from '../helpers/ports.js';
import { refusal } from '../helpers/refusal.js';

const MiB = 1024 * 1024;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';
const DEADLINE = { deadlineMs: 20_000 };

let node: NodeFixture;
let api: ApiClients;
let faultFile: string;

beforeAll(async () => {
  node = await startNode();
  faultFile = path.join(node.dir, 'state-write-fault');
  process.env.CONDUCTOR_STATE_WRITE_FAULT = faultFile;
  api = createApiClients({ unixSocket: path.join(node.dir, 'api.sock') });
  await invoke(api.disks, 'DiskCreate', { name: 'd1', path: node.diskFile('d1', 512) }, DEADLINE);
});
afterAll(async () => {
  delete process.env.CONDUCTOR_STATE_WRITE_FAULT;
  api?.close();
  await node?.close();
});
afterEach(() => fault(undefined));

/** Every state-file write fails with `errno` from now on; undefined: writes work again. */
function fault(errno: string | undefined): void {
  if (errno) fs.writeFileSync(faultFile, errno);
  else fs.rmSync(faultFile, { force: true });
}

/** Turns the fault on the moment spdk_tgt is asked for `method`: after every write before it. */
function faultWhenCalled(method: string, errno: string): () => void {
  const channel = 'tracing:spdk-conductor:spdk:call:start';
  const onStart = (message: unknown): void => {
    if ((message as SpdkCallContext).method === method) fault(errno);
  };
  diagnostics_channel.subscribe(channel, onStart);
  return () => diagnostics_channel.unsubscribe(channel, onStart);
}

function onDisk(): { engines: Record<string, unknown>; snapshots: Record<string, unknown>; intents: Record<string, unknown> } {
  return JSON.parse(fs.readFileSync(path.join(node.dir, 'state.json'), 'utf8'));
}

describe("spdk_tgt's refusals a caller can act on", () => {
  it('EPERM on a claimed bdev (an exposed replica in an engine) is FAILED_PRECONDITION, and no engine is left', async () => {
    await invoke(api.replicas, 'ReplicaCreate', { name: 'claimed', diskName: 'd1', sizeBytes: 16 * MiB, hostNqns: [HOST] }, DEADLINE);
    await invoke(api.replicas, 'ReplicaCreate', { name: 'free', diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    const refused = await refusal(
      invoke(
        api.engines,
        'EngineCreate',
        { name: 'v-claimed', sizeBytes: 16 * MiB, replicas: [{ local: { name: 'claimed' } }, { local: { name: 'free' } }], frontend: 'FRONTEND_KIND_EXPORT_ONLY', hostNqns: [HOST] },
        DEADLINE,
      ),
    );
    expect(refused.code).toBe(status.FAILED_PRECONDITION);
    expect(refused.details).not.toMatch(/^bdev_raid_create failed/);
    expect((await invoke(api.engines, 'EngineList', {}, DEADLINE)).engines).toEqual([]);
    for (const name of ['claimed', 'free']) await invoke(api.replicas, 'ReplicaDelete', { name }, DEADLINE);
  });

  it('EIO from a shallow-copy target nobody listens on is UNAVAILABLE NVMF_TARGET_UNREACHABLE', async () => {
    await invoke(api.replicas, 'ReplicaCreate', { name: 'src', diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'src', name: 's1' }, DEADLINE);
    const stream = api.snapshots.SnapshotShallowCopy(
      { replicaName: 'src', snapshotName: 's1', targetAddress: '127.0.0.1', targetPort: portBlock(), targetNqn: 'nqn.2024-11.io.spdk-conductor:replica:nobody' },
      { deadline: Date.now() + 20_000 },
    );
    stream.on('data', () => undefined);
    const error = await new Promise<unknown>((resolve) => {
      stream.on('error', resolve);
      stream.on('end', () => resolve(undefined));
    });
    expect(isServiceError(error)).toBe(true);
    if (!isServiceError(error)) return;
    expect(error.code).toBe(status.UNAVAILABLE);
    expect(error.metadata.get('conductor-error-code')[0]).toBe('NVMF_TARGET_UNREACHABLE');
    await invoke(api.replicas, 'ReplicaDelete', { name: 'src' }, DEADLINE);
  });
});

describe('a state directory that cannot be written', () => {
  it.each([
    ['ENOSPC', status.RESOURCE_EXHAUSTED, 'STATE_FILE_NO_SPACE'],
    ['EDQUOT', status.RESOURCE_EXHAUSTED, 'STATE_FILE_NO_SPACE'],
    ['EROFS', status.FAILED_PRECONDITION, 'STATE_FILE_READ_ONLY'],
  ])('%s: a snapshot is refused with %s and nothing is made; once writable it works', async (errno, code, conductorCode) => {
    await invoke(api.replicas, 'ReplicaCreate', { name: 'r-full', diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    fault(errno);
    const refused = await refusal(invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'r-full', name: 's1', userCreated: true }, DEADLINE));
    expect(refused).toMatchObject({ code, conductorCode });
    expect(refused.details).toContain(errno);
    expect((await invoke(api.snapshots, 'SnapshotList', { replicaName: 'r-full' }, DEADLINE)).snapshots).toEqual([]);
    fault(undefined);
    expect((await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'r-full', name: 's1', userCreated: true }, DEADLINE)).name).toBe('s1');
    await invoke(api.replicas, 'ReplicaDelete', { name: 'r-full' }, DEADLINE);
  });

  it('a delete whose intent cannot be written is refused, changes nothing, and no later write or restart carries the intent', async () => {
    await invoke(api.replicas, 'ReplicaCreate', { name: 'r-kept', diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    fault('ENOSPC');
    expect(await refusal(invoke(api.replicas, 'ReplicaDelete', { name: 'r-kept' }, DEADLINE))).toMatchObject({ code: status.RESOURCE_EXHAUSTED, conductorCode: 'STATE_FILE_NO_SPACE' });
    fault(undefined);
    await invoke(api.replicas, 'ReplicaCreate', { name: 'r-other', diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'r-other', name: 's1' }, DEADLINE);
    expect(onDisk().intents).toEqual({});
    await node.restart();
    expect((await invoke(api.replicas, 'ReplicaGet', { name: 'r-kept' }, DEADLINE)).name).toBe('r-kept');
    for (const name of ['r-kept', 'r-other']) await invoke(api.replicas, 'ReplicaDelete', { name }, DEADLINE);
  });
});

describe('done in spdk_tgt, not recorded: the outcome is reported, and the record converges', () => {
  it('ReplicaDelete succeeds, the replica is gone, and the restart finishes the stale intent', async () => {
    await invoke(api.replicas, 'ReplicaCreate', { name: 'r-gone', diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'r-gone', name: 's1', userCreated: true }, DEADLINE);
    const stop = faultWhenCalled('bdev_lvol_delete', 'ENOSPC');
    try {
      await invoke(api.replicas, 'ReplicaDelete', { name: 'r-gone' }, DEADLINE);
    } finally {
      stop();
    }
    expect((await refusal(invoke(api.replicas, 'ReplicaGet', { name: 'r-gone' }, DEADLINE))).conductorCode).toBe('REPLICA_NOT_FOUND');
    const aliases = (await node.client.call<{ aliases: string[] }[]>('bdev_get_bdevs')).flatMap((b) => b.aliases);
    expect(aliases.filter((a) => a.includes('r-gone') || a.includes('/s.s1.'))).toEqual([]);
    expect(onDisk().intents).toHaveProperty('r-gone');
    fault(undefined);
    await node.restart();
    expect(onDisk().intents).toEqual({});
    expect(Object.keys(onDisk().snapshots).filter((k) => k.startsWith('r-gone/'))).toEqual([]);
    expect((await refusal(invoke(api.replicas, 'ReplicaGet', { name: 'r-gone' }, DEADLINE))).conductorCode).toBe('REPLICA_NOT_FOUND');
  });

  it('SnapshotDelete succeeds, and the next successful write drops the stale metadata', async () => {
    await invoke(api.replicas, 'ReplicaCreate', { name: 'r-snap', diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'r-snap', name: 's1', userCreated: true }, DEADLINE);
    const stop = faultWhenCalled('bdev_lvol_delete', 'ENOSPC');
    try {
      await invoke(api.snapshots, 'SnapshotDelete', { replicaName: 'r-snap', name: 's1' }, DEADLINE);
    } finally {
      stop();
    }
    expect((await invoke(api.snapshots, 'SnapshotList', { replicaName: 'r-snap' }, DEADLINE)).snapshots).toEqual([]);
    expect(onDisk().snapshots).toHaveProperty(['r-snap/s1']);
    fault(undefined);
    await invoke(api.snapshots, 'SnapshotCreate', { replicaName: 'r-snap', name: 's2', userCreated: true }, DEADLINE);
    expect(Object.keys(onDisk().snapshots).filter((k) => k.startsWith('r-snap/'))).toEqual(['r-snap/s2']);
    await invoke(api.replicas, 'ReplicaDelete', { name: 'r-snap' }, DEADLINE);
  });

  it('EngineDelete succeeds and the engine is gone', async () => {
    for (const name of ['e-a', 'e-b']) await invoke(api.replicas, 'ReplicaCreate', { name, diskName: 'd1', sizeBytes: 16 * MiB }, DEADLINE);
    const request = { name: 'v-gone', sizeBytes: 16 * MiB, replicas: [{ local: { name: 'e-a' } }, { local: { name: 'e-b' } }], frontend: 'FRONTEND_KIND_EXPORT_ONLY' as const, hostNqns: [HOST] };
    await invoke(api.engines, 'EngineCreate', request, DEADLINE);
    const stop = faultWhenCalled('bdev_raid_delete', 'ENOSPC');
    try {
      await invoke(api.engines, 'EngineDelete', { name: 'v-gone' }, DEADLINE);
    } finally {
      stop();
    }
    expect((await refusal(invoke(api.engines, 'EngineGet', { name: 'v-gone' }, DEADLINE))).conductorCode).toBe('ENGINE_NOT_FOUND');
    expect(await node.client.call<unknown[]>('bdev_raid_get_bdevs', { category: 'all' })).toEqual([]);
    fault(undefined);
    for (const name of ['e-a', 'e-b']) await invoke(api.replicas, 'ReplicaDelete', { name }, DEADLINE);
    expect(onDisk().engines).toEqual({});
  });
});
