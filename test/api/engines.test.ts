/**
 * Every Engines RPC over a real Unix socket against the fake domain: requests arrive in the
 * domain's shape, answers carry every field back, the domain's errors come back as the right
 * statuses, and bad input is refused at the edge naming the field, the domain never called.
 */
import { status } from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { invoke, type ApiClients } from '../../src/api/client.js';
import type { EngineCreateRequest } from '../../src/api/generated/spdk/conductor/v1/EngineCreateRequest.js';
import { ConductorError, SpdkTransportError } from '../../src/errors.js';
import { FAKE_CTRL_LOSS_TMO_SEC, FAKE_EXPORT_ADDRESS, FAKE_HOST_NQN } from './helpers/fake-engines.js';
import { startTestApi, waitFor, type TestApi } from './helpers/api-server.js';

const GiB = 1024 ** 3;
const HOST = 'nqn.2014-08.org.nvmexpress:uuid:0f4c6d0e-1f6b-4b8e-9d43-5b2a1e7c9a10';
const R1_NQN = 'nqn.2024-11.io.spdk-conductor:replica:r1';
const R2_NQN = 'nqn.2024-11.io.spdk-conductor:replica:r2';

const REMOTE_R1 = { remote: { name: 'r1', address: '10.0.0.5', port: 20001, nqn: R1_NQN } };
const LOCAL_R2 = { local: { name: 'r2' } };

/** vol1 over r1 on another node and r2 on this one, exported to HOST. */
const CREATE = {
  name: 'vol1',
  sizeBytes: GiB,
  replicas: [REMOTE_R1, LOCAL_R2],
  frontend: 'FRONTEND_KIND_EXPORT_ONLY',
  hostNqns: [HOST],
} satisfies EngineCreateRequest;

describe('Engines', () => {
  let api: TestApi;
  beforeEach(async () => {
    api = await startTestApi();
    await api.domain.diskCreate({ name: 'd1', path: '/dev/sda' });
    await api.domain.replicaCreate('r2', 'd1', GiB);
    await api.domain.replicaCreate('r3', 'd1', GiB);
    api.domain.calls.length = 0;
  });
  afterEach(async () => {
    await api.close();
  });

  it('creates an engine from remote and local replicas, and answers with every field', async () => {
    const engine = await invoke(api.clients.engines, 'EngineCreate', CREATE);
    expect(api.domain.calls).toMatchObject([
      {
        method: 'engineCreate',
        args: [
          {
            name: 'vol1',
            sizeBytes: GiB,
            replicas: [
              { name: 'r1', kind: 'remote', address: '10.0.0.5', port: 20001, nqn: R1_NQN },
              { name: 'r2', kind: 'local' },
            ],
            frontend: 'export-only',
            hostNqns: [HOST],
          },
        ],
      },
    ]);
    expect(api.domain.calls[0]!.args[0]).not.toHaveProperty('timeouts');
    expect(api.domain.calls[0]!.args[0]).not.toHaveProperty('source');
    const connect = `nvme connect -t tcp -a ${FAKE_EXPORT_ADDRESS} -s 21000 -n nqn.2024-11.io.spdk-conductor:volume:vol1 --ctrl-loss-tmo ${FAKE_CTRL_LOSS_TMO_SEC}`;
    expect(engine).toEqual({
      name: 'vol1',
      sizeBytes: GiB,
      state: 'ENGINE_STATE_HEALTHY',
      reason: '2 of 2 members healthy',
      raidName: 'e.vol1',
      members: [
        { name: 'r1', location: 'REPLICA_LOCATION_REMOTE', bdevName: 'ec.vol1.r1n1', state: 'MEMBER_STATE_HEALTHY', reason: 'in the raid', controllerState: 'enabled', stale: false, staleReason: '' },
        { name: 'r2', location: 'REPLICA_LOCATION_LOCAL', bdevName: 'lvs.d1/r.r2', state: 'MEMBER_STATE_HEALTHY', reason: 'in the raid', controllerState: '', stale: false, staleReason: '' },
      ],
      frontend: {
        kind: 'FRONTEND_KIND_EXPORT_ONLY',
        nqn: 'nqn.2024-11.io.spdk-conductor:volume:vol1',
        address: FAKE_EXPORT_ADDRESS,
        port: 21000,
        hostNqns: [HOST],
        namespaceUuid: '9c4d5e6f-0000-4000-8000-000000000004',
        namespaceNguid: '9C4D5E6F000040008000000000000004',
        device: '',
        recommendedCtrlLossTmoSec: FAKE_CTRL_LOSS_TMO_SEC,
        connectCommand: connect,
      },
      rebuild: null,
      rebuilds: [],
      superblock: false,
      stale: false,
      staleReason: '',
      qos: null,
      expansion: null,
      revert: null,
      salvage: null,
      io: null,
    });
    expect(await invoke(api.clients.engines, 'EngineGet', { name: 'vol1' })).toEqual(engine);
    expect((await invoke(api.clients.engines, 'EngineList', {})).engines).toEqual([engine]);
  });

  it('is idempotent: the same create returns the engine, a different one is ALREADY_EXISTS', async () => {
    const first = await invoke(api.clients.engines, 'EngineCreate', CREATE);
    expect(await invoke(api.clients.engines, 'EngineCreate', CREATE)).toEqual(first);
    await expect(invoke(api.clients.engines, 'EngineCreate', { ...CREATE, sizeBytes: 2 * GiB })).rejects.toMatchObject({
      code: status.ALREADY_EXISTS,
      details: 'engine vol1 exists with another configuration; delete it first',
    });
  });

  it('takes an nvme-host frontend without host NQNs and reports the device the node sees', async () => {
    const engine = await invoke(api.clients.engines, 'EngineCreate', { ...CREATE, frontend: 'FRONTEND_KIND_NVME_HOST', hostNqns: [] });
    expect(engine.frontend).toMatchObject({ kind: 'FRONTEND_KIND_NVME_HOST', device: '/dev/nvme1n1', hostNqns: [FAKE_HOST_NQN], connectCommand: '' });
  });

  it('passes only the timeout fields the caller set, and none when the override is empty', async () => {
    await invoke(api.clients.engines, 'EngineCreate', { ...CREATE, timeouts: { host: { ctrlLossTmoSec: 90 }, replica: { ctrlrLossTimeoutSec: 0, fastIoFailTimeoutSec: 4 } } });
    expect(api.domain.calls[0]!.args[0]).toMatchObject({ timeouts: { host: { ctrlLossTmoSec: 90 }, replica: { ctrlrLossTimeoutSec: 0, fastIoFailTimeoutSec: 4 } } });
    expect(Object.keys((api.domain.calls[0]!.args[0] as { timeouts: { replica: object } }).timeouts.replica).sort()).toEqual(['ctrlrLossTimeoutSec', 'fastIoFailTimeoutSec']);
    await invoke(api.clients.engines, 'EngineCreate', { ...CREATE, name: 'vol2', timeouts: { host: {}, replica: {} } });
    expect(api.domain.calls[1]!.args[0]).not.toHaveProperty('timeouts');
  });

  it('passes a salvage source that is one of the members', async () => {
    await invoke(api.clients.engines, 'EngineCreate', { ...CREATE, source: 'r2' });
    expect(api.domain.calls[0]!.args[0]).toMatchObject({ source: 'r2' });
  });

  it("maps the domain's refusals: a broken override, no host frontend, too few reachable replicas", async () => {
    const rule = 'timeout override refused: [ours.io-failover-before-host-io-timeout] a lost replica fails over 42 s after the loss';
    api.domain.failNext('engineCreate', new ConductorError('INVALID_TIMEOUTS', rule));
    await expect(invoke(api.clients.engines, 'EngineCreate', { ...CREATE, timeouts: { replica: { fastIoFailTimeoutSec: 40 } } })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: rule,
    });
    api.domain.engines.hostFrontend = false;
    await expect(invoke(api.clients.engines, 'EngineCreate', { ...CREATE, frontend: 'FRONTEND_KIND_NVME_HOST' })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringMatching(/nvme-host frontend is not available on this node/),
    });
    await expect(invoke(api.clients.engines, 'EngineCreate', { ...CREATE, replicas: [REMOTE_R1, { local: { name: 'ghost' } }] })).rejects.toMatchObject({
      code: status.UNAVAILABLE,
      details: 'engine vol1 needs at least 2 reachable replicas to start, 1 reachable',
    });
    api.domain.failNext('engineList', new SpdkTransportError('no-socket', 'cannot connect to spdk_tgt at /var/tmp/spdk.sock: ENOENT'));
    await expect(invoke(api.clients.engines, 'EngineList', {})).rejects.toMatchObject({ code: status.UNAVAILABLE, details: expect.stringMatching(/check that it is running/) });
  });

  it('is NOT_FOUND for a missing engine; delete succeeds whether or not it exists', async () => {
    for (const call of [
      (c: ApiClients) => invoke(c.engines, 'EngineGet', { name: 'ghost' }),
      (c: ApiClients) => invoke(c.engines, 'EngineReplicaList', { name: 'ghost' }),
      (c: ApiClients) => invoke(c.engines, 'EngineReplicaRemove', { name: 'ghost', replicaName: 'r1' }),
      (c: ApiClients) => invoke(c.engines, 'EngineReplicaAdd', { name: 'ghost', replica: { local: { name: 'r3' } } }),
    ]) {
      await expect(call(api.clients)).rejects.toMatchObject({ code: status.NOT_FOUND, details: 'engine ghost does not exist on this node' });
    }
    await invoke(api.clients.engines, 'EngineCreate', CREATE);
    expect(await invoke(api.clients.engines, 'EngineDelete', { name: 'vol1' })).toEqual({ alreadyAbsent: false });
    expect(await invoke(api.clients.engines, 'EngineDelete', { name: 'vol1' })).toEqual({ alreadyAbsent: true });
    expect((await invoke(api.clients.engines, 'EngineList', {})).engines).toEqual([]);
  });

  it('lists the members with state, reason and controller state', async () => {
    await invoke(api.clients.engines, 'EngineCreate', CREATE);
    api.domain.engines.setMemberState('vol1', 'r1', 'failed', 'not in the raid; controller resetting');
    const { members } = await invoke(api.clients.engines, 'EngineReplicaList', { name: 'vol1' });
    expect(members.map((m) => [m.name, m.state, m.reason, m.controllerState])).toEqual([
      ['r1', 'MEMBER_STATE_FAILED', 'not in the raid; controller resetting', 'enabled'],
      ['r2', 'MEMBER_STATE_HEALTHY', 'in the raid', ''],
    ]);
    const engine = await invoke(api.clients.engines, 'EngineGet', { name: 'vol1' });
    expect([engine.state, engine.reason]).toEqual(['ENGINE_STATE_DEGRADED', '1 of 2 members healthy (r1 failed)']);
  });

  it('removes a replica (again: unchanged), then adds one that rebuilds; a different address is ALREADY_EXISTS', async () => {
    await invoke(api.clients.engines, 'EngineCreate', CREATE);
    const removed = await invoke(api.clients.engines, 'EngineReplicaRemove', { name: 'vol1', replicaName: 'r1' });
    expect(removed.members.map((m) => m.name)).toEqual(['r2']);
    expect(await invoke(api.clients.engines, 'EngineReplicaRemove', { name: 'vol1', replicaName: 'r1' })).toEqual(removed);

    const added = await invoke(api.clients.engines, 'EngineReplicaAdd', { name: 'vol1', replica: { remote: { name: 'r9', address: 'node-b.storage.example', port: 20002, nqn: R2_NQN } } });
    expect(api.domain.calls.at(-1)).toMatchObject({ method: 'engineReplicaAdd', args: ['vol1', { name: 'r9', kind: 'remote', address: 'node-b.storage.example', port: 20002, nqn: R2_NQN }] });
    expect(added.members.at(-1)).toMatchObject({ name: 'r9', state: 'MEMBER_STATE_REBUILDING', reason: 'rebuilding, 0%' });
    expect(added.rebuild).toEqual({ member: 'ec.vol1.r9n1', percent: 0, blocks: 0 });
    await expect(invoke(api.clients.engines, 'EngineReplicaAdd', { name: 'vol1', replica: { remote: { name: 'r9', address: '10.0.0.7', port: 20002, nqn: R2_NQN } } })).rejects.toMatchObject({
      code: status.ALREADY_EXISTS,
      details: 'engine vol1 has a replica r9 at another address',
    });
  });

  it('serves rebuilds: the api_address reaches the domain, RebuildList/Get show every field, RebuildCancel ends one', async () => {
    await invoke(api.clients.engines, 'EngineCreate', CREATE);
    await invoke(api.clients.engines, 'EngineReplicaRemove', { name: 'vol1', replicaName: 'r1' });
    const added = await invoke(api.clients.engines, 'EngineReplicaAdd', { name: 'vol1', replica: { remote: { ...REMOTE_R1.remote, apiAddress: '10.0.0.5:50151' } } });
    expect(api.domain.calls.at(-1)?.args[1]).toEqual({ name: 'r1', kind: 'remote', address: '10.0.0.5', port: 20001, nqn: R1_NQN, apiAddress: '10.0.0.5:50151' });
    expect(added.rebuilds.map((r) => [r.replica, r.state, r.queuePosition])).toEqual([['r1', 'REBUILD_STATE_QUEUED', 1]]);

    Object.assign(api.domain.engines.rebuilds.get('vol1/r1')!, {
      state: 'copying-snapshots',
      path: 'snapshot-preserving',
      pathReason: '2 snapshots copied from r2',
      sourceReplica: 'r2',
      snapshots: [{ name: 's1', state: 'copying', copiedClusters: 3, totalClusters: 8 }],
      bytesDone: 3 * 1024 * 1024,
      bytesTotal: GiB,
      rateBytesPerSec: 1.5e6,
      etaSec: 700,
      throttle: { engaged: true, limitMbSec: 16, reason: 'free DMA 40 MiB < 64 MiB' },
    });
    const rebuild = await invoke(api.clients.engines, 'RebuildGet', { engine: 'vol1', replica: 'r1' });
    expect(rebuild).toMatchObject({
      engine: 'vol1',
      replica: 'r1',
      state: 'REBUILD_STATE_COPYING_SNAPSHOTS',
      path: 'REBUILD_PATH_SNAPSHOT_PRESERVING',
      pathReason: '2 snapshots copied from r2',
      sourceReplica: 'r2',
      snapshots: [{ name: 's1', state: 'copying', copiedClusters: 3, totalClusters: 8 }],
      bytesDone: 3 * 1024 * 1024,
      bytesTotal: GiB,
      rateBytesPerSec: 1.5e6,
      etaSec: 700,
      raid: null,
      throttle: { engaged: true, limitMbSec: 16, reason: 'free DMA 40 MiB < 64 MiB' },
      createdAtMs: 1_700_000_000_000,
    });
    expect((await invoke(api.clients.engines, 'RebuildList', { engine: '' })).rebuilds.map((r) => r.replica)).toEqual(['r1']);
    expect((await invoke(api.clients.engines, 'RebuildList', { engine: 'vol2' })).rebuilds).toEqual([]);
    const cancelled = await invoke(api.clients.engines, 'RebuildCancel', { engine: 'vol1', replica: 'r1' });
    expect([cancelled.state, cancelled.reason]).toEqual(['REBUILD_STATE_CANCELLED', 'cancelled by request']);
    await expect(invoke(api.clients.engines, 'RebuildGet', { engine: 'vol1', replica: 'r7' })).rejects.toMatchObject({ code: status.NOT_FOUND });
    await expect(invoke(api.clients.engines, 'RebuildGet', { engine: 'Vol1', replica: 'r1' })).rejects.toMatchObject({ code: status.INVALID_ARGUMENT });
    await expect(invoke(api.clients.engines, 'EngineReplicaAdd', { name: 'vol1', replica: { remote: { ...REMOTE_R1.remote, apiAddress: '10.0.0.5' } } })).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('replica.remote.api_address'),
    });
  });

  it("hands the caller's deadline to the domain and aborts the domain call when it passes", async () => {
    api.domain.hang('engineReplicaRemove');
    await expect(invoke(api.clients.engines, 'EngineReplicaRemove', { name: 'vol1', replicaName: 'r1' }, { deadlineMs: 300 })).rejects.toMatchObject({
      code: status.DEADLINE_EXCEEDED,
    });
    const { options } = api.domain.calls[0]!;
    expect(options?.deadlineMs).toBeGreaterThan(0);
    expect(options?.deadlineMs).toBeLessThanOrEqual(300);
    await waitFor('the domain call to be aborted', () => options?.signal?.aborted);
  });
});

type Case = [what: string, call: (c: ApiClients) => Promise<unknown>, message: RegExp];

const remote = (change: Partial<{ name: string; address: string; port: number; nqn: string }>) => ({ remote: { name: 'r1', address: '10.0.0.5', port: 20001, nqn: R1_NQN, ...change } });
const create = (change: Partial<EngineCreateRequest>) => (c: ApiClients) => invoke(c.engines, 'EngineCreate', { ...CREATE, ...change });

const cases: Case[] = [
  ['a missing volume name', create({ name: '' }), /^name: a volume name is required/],
  ['a volume name with capitals', create({ name: 'Vol1' }), /^name: volume name "Vol1" is not allowed; use lowercase letters/],
  ['a volume name of 49 characters', create({ name: 'v'.repeat(49) }), /^name: volume name "v{49}" is 49 characters long; use at most 48/],
  ['a size of 0', create({ sizeBytes: 0 }), /^size_bytes: must be greater than 0 bytes/],
  ['a size that is not whole MiB', create({ sizeBytes: GiB + 512 }), /^size_bytes: 1073742336 is not a multiple of 1 MiB/],
  ['one replica', create({ replicas: [REMOTE_R1] }), /^replicas: 1 given; an engine needs at least 2 replicas/],
  ['a salvage source that is not a member', create({ source: 'r9' }), /^source: replica r9 is not among the engine's replicas \(r1, r2\)/],
  ['a salvage source that is no replica name', create({ source: 'R 1' }), /^source: /],
  ['a replica listed twice', create({ replicas: [REMOTE_R1, remote({ address: '10.0.0.6' })] }), /^replicas\[1\]: replica r1 is listed twice/],
  ['a replica that is neither remote nor local', create({ replicas: [REMOTE_R1, {}] }), /^replicas\[1\]: a replica is required: set remote/],
  ['a remote replica with a bad name', create({ replicas: [remote({ name: 'R1' }), LOCAL_R2] }), /^replicas\[0\]\.remote\.name: replica name "R1" is not allowed/],
  ['a local replica without a name', create({ replicas: [REMOTE_R1, { local: {} }] }), /^replicas\[1\]\.local\.name: a replica name is required/],
  ['a remote replica without an address', create({ replicas: [remote({ address: '' }), LOCAL_R2] }), /^replicas\[0\]\.remote\.address: the address .* is required/],
  ['an IPv6 address', create({ replicas: [remote({ address: 'fd00::5' }), LOCAL_R2] }), /^replicas\[0\]\.remote\.address: "fd00::5": IPv6 is not supported/],
  ['an IPv4 address with an octet over 255', create({ replicas: [remote({ address: '10.0.0.256' }), LOCAL_R2] }), /^replicas\[0\]\.remote\.address: "10\.0\.0\.256" is not an IPv4 address$/],
  ['an address with a space', create({ replicas: [remote({ address: 'node b' }), LOCAL_R2] }), /^replicas\[0\]\.remote\.address: "node b" is not an IPv4 address or a host name/],
  ['port 0', create({ replicas: [remote({ port: 0 }), LOCAL_R2] }), /^replicas\[0\]\.remote\.port: 0 is not a TCP port/],
  ['port 70000', create({ replicas: [remote({ port: 70_000 }), LOCAL_R2] }), /^replicas\[0\]\.remote\.port: 70000 is not a TCP port/],
  ['a subsystem that is not an NQN', create({ replicas: [remote({ nqn: 'iqn.2020-01.com.example:r1' }), LOCAL_R2] }), /^replicas\[0\]\.remote\.nqn: "iqn\.2020-01\.com\.example:r1" is not an NQN/],
  ['no frontend', create({ frontend: 'FRONTEND_KIND_UNSPECIFIED' }), /^frontend: choose FRONTEND_KIND_NVME_HOST .* or FRONTEND_KIND_EXPORT_ONLY/],
  ['an unknown frontend', create({ frontend: 9 as never }), /^frontend: unknown frontend kind 9/],
  ['export-only without hosts', create({ hostNqns: [] }), /^host_nqns: at least one host NQN is required; an export-only engine is reachable only by the hosts listed/],
  ['a host that is not an NQN', create({ hostNqns: [HOST, 'host-b'] }), /^host_nqns\[1\]: "host-b" is not an NQN/],
  ['a get with a bad name', (c) => invoke(c.engines, 'EngineGet', { name: 'vol_1' }), /^name: volume name "vol_1" is not allowed/],
  ['a delete without a name', (c) => invoke(c.engines, 'EngineDelete', {}), /^name: a volume name is required/],
  ['a member list with a bad name', (c) => invoke(c.engines, 'EngineReplicaList', { name: '-v' }), /^name: volume name "-v" is not allowed/],
  ['a removal without a replica', (c) => invoke(c.engines, 'EngineReplicaRemove', { name: 'vol1' }), /^replica_name: a replica name is required/],
  ['an add without a replica', (c) => invoke(c.engines, 'EngineReplicaAdd', { name: 'vol1' }), /^replica: a replica is required/],
  ['an add with a bad port', (c) => invoke(c.engines, 'EngineReplicaAdd', { name: 'vol1', replica: remote({ port: 65_536 }) }), /^replica\.remote\.port: 65536 is not a TCP port/],
  ['an expand by less than a MiB', (c) => invoke(c.engines, 'EngineExpand', { name: 'vol1', sizeBytes: GiB + 4096 }), /^size_bytes: \d+ is not a multiple of 1 MiB/],
  ['an expand to 0', (c) => invoke(c.engines, 'EngineExpand', { name: 'vol1', sizeBytes: 0 }), /^size_bytes:/],
  ['a QoS set with no limit', (c) => invoke(c.engines, 'EngineQosSet', { name: 'vol1' }), /^rw_ios_per_sec: no limit given/],
  ['a stats read with a bad name', (c) => invoke(c.engines, 'EngineStats', { name: 'Vol' }), /^name: volume name "Vol" is not allowed/],
  ['a revert without a snapshot', (c) => invoke(c.engines, 'EngineSnapshotRevert', { engine: 'vol1' }), /^name:/],
  ['a revert with a bad source', (c) => invoke(c.engines, 'EngineSnapshotRevert', { engine: 'vol1', name: 's1', source: 'R 1' }), /^source:/],
];

describe('EngineExpand, EngineQosSet, EngineStats at the edge', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi();
    await api.domain.diskCreate({ name: 'd1', path: '/dev/sda' });
    await api.domain.replicaCreate('r2', 'd1', GiB);
    await invoke(api.clients.engines, 'EngineCreate', CREATE);
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers the QoS limits in force and what spdk_tgt rounded', async () => {
    const reply = await invoke(api.clients.engines, 'EngineQosSet', { name: 'vol1', rwIosPerSec: 2500, rMbytesPerSec: 10 });
    expect(reply.qos).toEqual({ rwIosPerSec: 3000, rwMbytesPerSec: 0, rMbytesPerSec: 10, wMbytesPerSec: 0 });
    expect(reply.adjustments).toEqual(['rw_ios_per_sec 2500 rounded up to 3000 (spdk_tgt counts IOPS in multiples of 1000)']);
    expect(reply.engine!.qos).toEqual(reply.qos);
  });

  it('hands a valid expand to the domain', async () => {
    expect((await invoke(api.clients.engines, 'EngineExpand', { name: 'vol1', sizeBytes: 2 * GiB })).sizeBytes).toBe(2 * GiB);
  });

  it('hands a revert to the domain, the source only when one is named', async () => {
    await invoke(api.clients.engines, 'EngineSnapshotRevert', { engine: 'vol1', name: 's1' });
    await invoke(api.clients.engines, 'EngineSnapshotRevert', { engine: 'vol1', name: 's1', source: 'r2' });
    expect(api.domain.calls.filter((c) => c.method === 'engineSnapshotRevert').map((c) => c.args[0])).toEqual([
      { engine: 'vol1', snapshot: 's1' },
      { engine: 'vol1', snapshot: 's1', source: 'r2' },
    ]);
  });

  it('says EngineStats has nothing to read on a server started without the volume I/O readings', async () => {
    await expect(invoke(api.clients.engines, 'EngineStats', { name: 'vol1' })).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });
});

describe('bad engine requests are refused at the edge', () => {
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

  it('accepts the longest volume name, a host name as address, and the edge ports', async () => {
    await api.domain.diskCreate({ name: 'd1', path: '/dev/sda' });
    await api.domain.replicaCreate('r2', 'd1', GiB);
    api.domain.calls.length = 0;
    const replicas = [remote({ address: 'node-a.storage.example', port: 65_535 }), remote({ name: 'r3', address: '192.168.0.1', port: 1 }), LOCAL_R2];
    await invoke(api.clients.engines, 'EngineCreate', { ...CREATE, name: 'v'.repeat(48), replicas });
    expect(api.domain.calls.map((c) => c.method)).toEqual(['engineCreate']);
  });
});
