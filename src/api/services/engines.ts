/**
 * spdk.conductor.v1.Engines: requests checked at the edge, then handed to the domain's engines.
 * EngineWatch is a server stream over EngineDomain.engineWatch whose subscription ends with the
 * stream on every path (see watch.ts).
 */
import type { EngineCreate, EngineInfo, EngineEvent as DomainEngineEvent, EngineReplicaSpec, FrontendKind, TimeoutOverride } from '../../domain/model.js';
import type { HostSecrets } from '../../domain/node/keys.js';
import type { HostTimeouts, ReplicaTimeouts } from '../../domain/engine/timeout-budget.js';
import type { Engine } from '../generated/spdk/conductor/v1/Engine.js';
import type { EngineCreateRequest__Output } from '../generated/spdk/conductor/v1/EngineCreateRequest.js';
import type { EngineDeleteRequest__Output } from '../generated/spdk/conductor/v1/EngineDeleteRequest.js';
import type { EngineDeleteResponse } from '../generated/spdk/conductor/v1/EngineDeleteResponse.js';
import type { EngineEvent } from '../generated/spdk/conductor/v1/EngineEvent.js';
import type { EngineGetRequest__Output } from '../generated/spdk/conductor/v1/EngineGetRequest.js';
import type { EngineRepairRequest__Output } from '../generated/spdk/conductor/v1/EngineRepairRequest.js';
import type { EngineRepairResponse } from '../generated/spdk/conductor/v1/EngineRepairResponse.js';
import type { EngineListRequest__Output } from '../generated/spdk/conductor/v1/EngineListRequest.js';
import type { EngineListResponse } from '../generated/spdk/conductor/v1/EngineListResponse.js';
import type { EngineReplica__Output } from '../generated/spdk/conductor/v1/EngineReplica.js';
import type { EngineReplicaAddRequest__Output } from '../generated/spdk/conductor/v1/EngineReplicaAddRequest.js';
import type { EngineReplicaListRequest__Output } from '../generated/spdk/conductor/v1/EngineReplicaListRequest.js';
import type { EngineReplicaListResponse } from '../generated/spdk/conductor/v1/EngineReplicaListResponse.js';
import type { EngineReplicaRemoveRequest__Output } from '../generated/spdk/conductor/v1/EngineReplicaRemoveRequest.js';
import type { EnginesHandlers } from '../generated/spdk/conductor/v1/Engines.js';
import type { EngineWatchRequest__Output } from '../generated/spdk/conductor/v1/EngineWatchRequest.js';
import type { TimeoutsOverride__Output } from '../generated/spdk/conductor/v1/TimeoutsOverride.js';
import type { EngineSnapshotCreateRequest__Output } from '../generated/spdk/conductor/v1/EngineSnapshotCreateRequest.js';
import type { EngineSnapshotDeleteRequest__Output } from '../generated/spdk/conductor/v1/EngineSnapshotDeleteRequest.js';
import type { EngineSnapshotDeleteResponse } from '../generated/spdk/conductor/v1/EngineSnapshotDeleteResponse.js';
import type { EngineSnapshotListRequest__Output } from '../generated/spdk/conductor/v1/EngineSnapshotListRequest.js';
import type { EngineSnapshotListResponse } from '../generated/spdk/conductor/v1/EngineSnapshotListResponse.js';
import type { VolumeSnapshot } from '../generated/spdk/conductor/v1/VolumeSnapshot.js';
import { engineEventMessage, engineMemberMessage, engineMessage, engineStatsMessage, qosMessage, rebuildMessage, volumeIoMessage, volumeSnapshotMessage } from '../messages.js';
import type { EngineExpandRequest__Output } from '../generated/spdk/conductor/v1/EngineExpandRequest.js';
import type { EngineSnapshotRevertRequest__Output } from '../generated/spdk/conductor/v1/EngineSnapshotRevertRequest.js';
import type { EngineQosSetRequest__Output } from '../generated/spdk/conductor/v1/EngineQosSetRequest.js';
import type { EngineQosSetResponse } from '../generated/spdk/conductor/v1/EngineQosSetResponse.js';
import type { EngineStatsRequest__Output } from '../generated/spdk/conductor/v1/EngineStatsRequest.js';
import type { EngineStatsResponse } from '../generated/spdk/conductor/v1/EngineStatsResponse.js';
import type { VolumeIo } from '../../domain/engine/volume-io.js';
import { volumeStats } from '../../domain/engine/volume-stats.js';
import { ConductorError } from '../../errors.js';
import type { Rebuild } from '../generated/spdk/conductor/v1/Rebuild.js';
import type { RebuildCancelRequest__Output } from '../generated/spdk/conductor/v1/RebuildCancelRequest.js';
import type { RebuildGetRequest__Output } from '../generated/spdk/conductor/v1/RebuildGetRequest.js';
import type { RebuildListRequest__Output } from '../generated/spdk/conductor/v1/RebuildListRequest.js';
import type { RebuildListResponse } from '../generated/spdk/conductor/v1/RebuildListResponse.js';
import * as check from '../validate.js';
import { rebuildPageName } from '../../domain/rebuild/rebuilds.js';
import { answerPage, pageRequest } from '../paging.js';
import { unary, type ServiceContext } from './call.js';
import { watchHandler, type WatchOptions } from './watch.js';

const MiB = 1024 * 1024;
/** raid1 in spdk_tgt cannot start on one member, and an engine of one copy protects nothing. */
const MIN_REPLICAS = 2;
/** Far above any real replica count; keeps one request from building an unbounded raid. */
const MAX_REPLICAS = 32;

const HOST_FIELDS = ['ctrlLossTmoSec', 'reconnectDelaySec', 'keepAliveTmoSec', 'ioTimeoutSec'] as const satisfies readonly (keyof HostTimeouts)[];
const REPLICA_FIELDS = ['reconnectDelaySec', 'fastIoFailTimeoutSec', 'ctrlrLossTimeoutSec', 'keepAliveTimeoutMs', 'transportAckTimeout'] as const satisfies readonly (keyof ReplicaTimeouts)[];

export function engineReplica(field: string, value: EngineReplica__Output | null): EngineReplicaSpec {
  if (value?.replica === 'remote' && value.remote) {
    const { remote } = value;
    return {
      name: check.name('replica', `${field}.remote.name`, remote.name),
      kind: 'remote',
      address: check.address(`${field}.remote.address`, remote.address),
      port: check.port(`${field}.remote.port`, remote.port),
      nqn: check.nqn(`${field}.remote.nqn`, remote.nqn),
      ...(remote.apiAddress ? { apiAddress: check.apiAddress(`${field}.remote.api_address`, remote.apiAddress) } : {}),
    };
  }
  if (value?.replica === 'local' && value.local) return { name: check.name('replica', `${field}.local.name`, value.local.name), kind: 'local' };
  throw check.invalid(field, 'a replica is required: set remote {name, address, port, nqn} for one on another node, or local {name} for one on this node');
}

/** The keys a remote member attaches with, checked; undefined when it has none. */
export function memberSecrets(field: string, value: EngineReplica__Output | null): HostSecrets | undefined {
  if (value?.replica !== 'remote' || !value.remote) return undefined;
  return check.secrets(`${field}.remote.`, value.remote);
}

/** Members' keys by replica name; undefined when no member has any. */
function membersSecrets(replicas: readonly EngineReplica__Output[]): Map<string, HostSecrets> | undefined {
  const secrets = new Map<string, HostSecrets>();
  for (const [i, replica] of replicas.entries()) {
    const given = memberSecrets(`replicas[${i}]`, replica);
    if (given && replica.remote) secrets.set(replica.remote.name, given);
  }
  return secrets.size > 0 ? secrets : undefined;
}

function frontendKind(field: string, value: string | number): FrontendKind {
  switch (value) {
    case 'FRONTEND_KIND_NVME_HOST':
      return 'nvme-host';
    case 'FRONTEND_KIND_EXPORT_ONLY':
      return 'export-only';
    case 'FRONTEND_KIND_UNSPECIFIED':
      throw check.invalid(field, 'choose FRONTEND_KIND_NVME_HOST (this node connects to the volume) or FRONTEND_KIND_EXPORT_ONLY (hosts connect themselves)');
    default:
      throw check.invalid(field, `unknown frontend kind ${JSON.stringify(value)}; use FRONTEND_KIND_NVME_HOST or FRONTEND_KIND_EXPORT_ONLY`);
  }
}

/** The fields the caller set (proto3 optional keeps presence); none at all means no override. */
function presentFields<K extends string>(value: Partial<Record<K, number>> | null, keys: readonly K[]): Partial<Record<K, number>> | undefined {
  if (!value) return undefined;
  const set = keys.filter((key) => typeof value[key] === 'number');
  return set.length === 0 ? undefined : (Object.fromEntries(set.map((key) => [key, value[key]])) as Partial<Record<K, number>>);
}

/** Only the shape is checked here; the domain checks the merged budget against every rule. */
export function timeoutsOverride(value: TimeoutsOverride__Output | null): TimeoutOverride | undefined {
  if (!value) return undefined;
  const host = presentFields<keyof HostTimeouts>(value.host, HOST_FIELDS);
  const replica = presentFields<keyof ReplicaTimeouts>(value.replica, REPLICA_FIELDS);
  if (!host && !replica) return undefined;
  return { ...(host ? { host } : {}), ...(replica ? { replica } : {}) };
}

export function engineCreateRequest(request: EngineCreateRequest__Output): EngineCreate {
  const name = check.name('volume', 'name', request.name);
  const sizeBytes = check.sizeBytes('size_bytes', request.sizeBytes);
  if (sizeBytes % MiB !== 0) throw check.invalid('size_bytes', `${sizeBytes} is not a multiple of 1 MiB`, 'INVALID_SIZE');
  if (request.replicas.length < MIN_REPLICAS) {
    throw check.invalid('replicas', `${request.replicas.length} given; an engine needs at least ${MIN_REPLICAS} replicas (raid1 in spdk_tgt cannot run on one)`);
  }
  if (request.replicas.length > MAX_REPLICAS) throw check.invalid('replicas', `${request.replicas.length} given; at most ${MAX_REPLICAS} are allowed`);
  const replicas = request.replicas.map((replica, i) => engineReplica(`replicas[${i}]`, replica));
  const seen = new Set<string>();
  for (const [i, replica] of replicas.entries()) {
    if (seen.has(replica.name)) throw check.invalid(`replicas[${i}]`, `replica ${replica.name} is listed twice; each replica may be a member once`);
    seen.add(replica.name);
  }
  const frontend = frontendKind('frontend', request.frontend);
  const hostNqns = check.hostNqns('host_nqns', request.hostNqns, frontend === 'export-only' ? 'an export-only engine is reachable only by the hosts listed' : null);
  const timeouts = timeoutsOverride(request.timeouts);
  const source = request.source ? check.name('replica', 'source', request.source) : undefined;
  if (source !== undefined && !seen.has(source)) throw check.invalid('source', `replica ${source} is not among the engine's replicas (${[...seen].join(', ')})`);
  return { name, sizeBytes, replicas, frontend, hostNqns, ...(timeouts ? { timeouts } : {}), ...(source !== undefined ? { source } : {}) };
}

const volumeName = (request: { name: string }): string => check.name('volume', 'name', request.name);
const volumeSnapshotTarget = (request: { engine: string; name: string }): [string, string] => [check.name('volume', 'engine', request.engine), check.name('snapshot', 'name', request.name)];
const rebuildTarget = (request: { engine: string; replica: string }): [string, string] => [check.name('volume', 'engine', request.engine), check.name('replica', 'replica', request.replica)];

/** The engines' I/O readings (domain/engine/volume-io.ts), which the metrics read too; undefined: none kept. */
export type VolumeIoSource = Pick<VolumeIo, 'lastTwo'>;

export function enginesHandlers(ctx: ServiceContext, options: WatchOptions, volumeIo?: VolumeIoSource): EnginesHandlers {
  const { domain } = ctx;
  const withIo = (engine: EngineInfo): Engine => {
    const io = volumeIo ? volumeStats(volumeIo, engine.name).io : undefined;
    return { ...engineMessage(engine), ...(io ? { io: volumeIoMessage(io) } : {}) };
  };
  return {
    EngineCreate: unary<EngineCreateRequest__Output, Engine>(ctx, 'EngineCreate', async (request, call) => {
      const create = engineCreateRequest(request);
      const secrets = membersSecrets(request.replicas);
      return engineMessage(secrets ? await domain.engineCreate(create, call, secrets) : await domain.engineCreate(create, call));
    }),
    EngineGet: unary<EngineGetRequest__Output, Engine>(ctx, 'EngineGet', async (request, call) => withIo(await domain.engineGet(volumeName(request), call))),
    EngineList: unary<EngineListRequest__Output, EngineListResponse>(ctx, 'EngineList', async (request, call) => {
      const scope = { list: 'EngineList', filter: '' };
      const page = pageRequest(scope, request);
      const { items, nextPageToken } = answerPage(scope, page, await domain.engineList(call, page), (e) => e.name);
      return { engines: items.map(engineMessage), nextPageToken };
    }),
    EngineDelete: unary<EngineDeleteRequest__Output, EngineDeleteResponse>(ctx, 'EngineDelete', async (request, call) => {
      return { alreadyAbsent: (await domain.engineDelete(volumeName(request), call)) === 'already-absent' };
    }),
    EngineReplicaList: unary<EngineReplicaListRequest__Output, EngineReplicaListResponse>(ctx, 'EngineReplicaList', async (request, call) => ({
      members: (await domain.engineGet(volumeName(request), call)).members.map(engineMemberMessage),
    })),
    EngineReplicaRemove: unary<EngineReplicaRemoveRequest__Output, Engine>(ctx, 'EngineReplicaRemove', async (request, call) => {
      const name = volumeName(request);
      const replica = check.name('replica', 'replica_name', request.replicaName);
      return engineMessage(await domain.engineReplicaRemove(name, replica, call));
    }),
    EngineReplicaAdd: unary<EngineReplicaAddRequest__Output, Engine>(ctx, 'EngineReplicaAdd', async (request, call) => {
      const name = volumeName(request);
      const replica = engineReplica('replica', request.replica);
      const secrets = memberSecrets('replica', request.replica);
      return engineMessage(secrets ? await domain.engineReplicaAdd(name, replica, call, secrets) : await domain.engineReplicaAdd(name, replica, call));
    }),
    RebuildList: unary<RebuildListRequest__Output, RebuildListResponse>(ctx, 'RebuildList', async (request) => {
      const engine = request.engine ? volumeName({ name: request.engine }) : undefined;
      const scope = { list: 'RebuildList', filter: engine ?? '' };
      const page = pageRequest(scope, request);
      const { items, nextPageToken } = answerPage(scope, page, await domain.rebuildList(engine, page), rebuildPageName);
      return { rebuilds: items.map(rebuildMessage), nextPageToken };
    }),
    RebuildGet: unary<RebuildGetRequest__Output, Rebuild>(ctx, 'RebuildGet', async (request) => rebuildMessage(await domain.rebuildGet(...rebuildTarget(request)))),
    RebuildCancel: unary<RebuildCancelRequest__Output, Rebuild>(ctx, 'RebuildCancel', async (request, call) => rebuildMessage(await domain.rebuildCancel(...rebuildTarget(request), call))),
    EngineRepair: unary<EngineRepairRequest__Output, EngineRepairResponse>(ctx, 'EngineRepair', async (request, call) => {
      const outcome = await domain.engineRepair(volumeName(request), call);
      return { engine: engineMessage(outcome.engine), actions: outcome.actions, problem: outcome.problem ?? '' };
    }),
    EngineSnapshotCreate: unary<EngineSnapshotCreateRequest__Output, VolumeSnapshot>(ctx, 'EngineSnapshotCreate', async (request, call) => {
      const [engine, name] = volumeSnapshotTarget(request);
      return volumeSnapshotMessage(await domain.engineSnapshotCreate({ engine, name, labels: check.labels('labels', request.labels) }, call));
    }),
    EngineSnapshotList: unary<EngineSnapshotListRequest__Output, EngineSnapshotListResponse>(ctx, 'EngineSnapshotList', async (request) => ({
      snapshots: (await domain.engineSnapshotList(check.name('volume', 'engine', request.engine))).map(volumeSnapshotMessage),
    })),
    EngineSnapshotDelete: unary<EngineSnapshotDeleteRequest__Output, EngineSnapshotDeleteResponse>(ctx, 'EngineSnapshotDelete', async (request, call) => {
      await domain.engineSnapshotDelete(...volumeSnapshotTarget(request), call);
      return {};
    }),
    EngineExpand: unary<EngineExpandRequest__Output, Engine>(ctx, 'EngineExpand', async (request, call) => {
      const name = volumeName(request);
      const sizeBytes = check.sizeBytes('size_bytes', request.sizeBytes);
      if (sizeBytes % MiB !== 0) throw check.invalid('size_bytes', `${sizeBytes} is not a multiple of 1 MiB`, 'INVALID_SIZE');
      return engineMessage(await domain.engineExpand(name, sizeBytes, call));
    }),
    EngineSnapshotRevert: unary<EngineSnapshotRevertRequest__Output, Engine>(ctx, 'EngineSnapshotRevert', async (request, call) => {
      const [engine, snapshot] = volumeSnapshotTarget(request);
      const source = check.optionalName('replica', 'source', request.source);
      return engineMessage(await domain.engineSnapshotRevert({ engine, snapshot, ...(source ? { source } : {}) }, call));
    }),
    EngineQosSet: unary<EngineQosSetRequest__Output, EngineQosSetResponse>(ctx, 'EngineQosSet', async (request, call) => {
      const name = volumeName(request);
      const limits = {
        ...(request.rwIosPerSec !== undefined ? { rwIosPerSec: Number(request.rwIosPerSec) } : {}),
        ...(request.rwMbytesPerSec !== undefined ? { rwMbytesPerSec: Number(request.rwMbytesPerSec) } : {}),
        ...(request.rMbytesPerSec !== undefined ? { rMbytesPerSec: Number(request.rMbytesPerSec) } : {}),
        ...(request.wMbytesPerSec !== undefined ? { wMbytesPerSec: Number(request.wMbytesPerSec) } : {}),
      };
      if (Object.keys(limits).length === 0)
        throw check.invalid('rw_ios_per_sec', 'no limit given: set at least one of rw_ios_per_sec, rw_mbytes_per_sec, r_mbytes_per_sec, w_mbytes_per_sec (0 = unlimited)');
      const { engine, adjustments } = await domain.engineQosSet(name, limits, call);
      return { engine: engineMessage(engine), qos: engine.qos ? qosMessage(engine.qos) : { rwIosPerSec: 0, rwMbytesPerSec: 0, rMbytesPerSec: 0, wMbytesPerSec: 0 }, adjustments };
    }),
    EngineStats: unary<EngineStatsRequest__Output, EngineStatsResponse>(ctx, 'EngineStats', async (request, call) => {
      const name = volumeName(request);
      // Not found is the engine's, as EngineGet says it.
      await domain.engineGet(name, call);
      if (!volumeIo) throw new ConductorError('NODE_STATS_UNAVAILABLE', 'this API server was started without the volume I/O readings EngineStats reads');
      return engineStatsMessage(volumeStats(volumeIo, name));
    }),
    EngineWatch: watchHandler<EngineWatchRequest__Output, DomainEngineEvent, EngineEvent>(ctx, options, {
      method: 'EngineWatch',
      subscribe: (listener) => domain.engineWatch(listener),
      toMessage: engineEventMessage,
    }),
  };
}
