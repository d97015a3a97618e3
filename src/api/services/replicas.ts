/**
 * spdk.conductor.v1.Replicas. ReplicaWatch is a server stream over NodeDomain.replicaWatch whose
 * subscription ends with the stream on every path (see watch.ts).
 */
import type { ReplicaEvent as DomainReplicaEvent } from '../../domain/model.js';
import type { Replica } from '../generated/spdk/conductor/v1/Replica.js';
import type { ReplicaCloneRequest__Output } from '../generated/spdk/conductor/v1/ReplicaCloneRequest.js';
import type { ReplicaCreateRequest__Output } from '../generated/spdk/conductor/v1/ReplicaCreateRequest.js';
import type { ReplicaDeleteRequest__Output } from '../generated/spdk/conductor/v1/ReplicaDeleteRequest.js';
import type { ReplicaDeleteResponse } from '../generated/spdk/conductor/v1/ReplicaDeleteResponse.js';
import type { ReplicaEvent } from '../generated/spdk/conductor/v1/ReplicaEvent.js';
import type { ReplicaExpandRequest__Output } from '../generated/spdk/conductor/v1/ReplicaExpandRequest.js';
import type { ReplicaExposeRequest__Output } from '../generated/spdk/conductor/v1/ReplicaExposeRequest.js';
import type { ReplicaGetRequest__Output } from '../generated/spdk/conductor/v1/ReplicaGetRequest.js';
import type { ReplicaListRequest__Output } from '../generated/spdk/conductor/v1/ReplicaListRequest.js';
import type { ReplicaListResponse } from '../generated/spdk/conductor/v1/ReplicaListResponse.js';
import type { ReplicasHandlers } from '../generated/spdk/conductor/v1/Replicas.js';
import type { ReplicaUnexposeRequest__Output } from '../generated/spdk/conductor/v1/ReplicaUnexposeRequest.js';
import type { ReplicaWatchRequest__Output } from '../generated/spdk/conductor/v1/ReplicaWatchRequest.js';
import { replicaEventMessage, replicaMessage } from '../messages.js';
import * as check from '../validate.js';
import { answerPage, pageRequest } from '../paging.js';
import { unary, type ServiceContext } from './call.js';
import { watchHandler, type WatchOptions } from './watch.js';

export function replicasHandlers(ctx: ServiceContext, options: WatchOptions): ReplicasHandlers {
  const { domain } = ctx;
  return {
    ReplicaCreate: unary<ReplicaCreateRequest__Output, Replica>(ctx, 'ReplicaCreate', async (request, call) => {
      const name = check.name('replica', 'name', request.name);
      const diskName = check.name('disk', 'disk_name', request.diskName);
      const sizeBytes = check.sizeBytes('size_bytes', request.sizeBytes);
      if (request.hostNqns.length === 0 && request.hosts.length === 0) return replicaMessage(await domain.replicaCreate(name, diskName, sizeBytes, call));
      const { hostNqns, secrets } = check.hostAccess('host_nqns', request.hostNqns, 'hosts', request.hosts);
      return replicaMessage(await domain.replicaCreate(name, diskName, sizeBytes, call, hostNqns, secrets));
    }),
    ReplicaGet: unary<ReplicaGetRequest__Output, Replica>(ctx, 'ReplicaGet', async (request, call) => replicaMessage(await domain.replicaGet(check.name('replica', 'name', request.name), call))),
    ReplicaList: unary<ReplicaListRequest__Output, ReplicaListResponse>(ctx, 'ReplicaList', async (request, call) => {
      const diskName = check.optionalName('disk', 'disk_name', request.diskName);
      const scope = { list: 'ReplicaList', filter: diskName ?? '' };
      const page = pageRequest(scope, request);
      const { items, nextPageToken } = answerPage(scope, page, await domain.replicaList(diskName, call, page), (r) => r.name);
      return { replicas: items.map(replicaMessage), nextPageToken };
    }),
    ReplicaExpand: unary<ReplicaExpandRequest__Output, Replica>(ctx, 'ReplicaExpand', async (request, call) => {
      const name = check.name('replica', 'name', request.name);
      const sizeBytes = check.sizeBytes('size_bytes', request.sizeBytes);
      return replicaMessage(await domain.replicaExpand(name, sizeBytes, call, request.force, request.checkOnly));
    }),
    ReplicaDelete: unary<ReplicaDeleteRequest__Output, ReplicaDeleteResponse>(ctx, 'ReplicaDelete', async (request, call) => {
      return { alreadyAbsent: (await domain.replicaDelete(check.name('replica', 'name', request.name), call, request.force)) === 'already-absent' };
    }),
    ReplicaExpose: unary<ReplicaExposeRequest__Output, Replica>(ctx, 'ReplicaExpose', async (request, call) => {
      const name = check.name('replica', 'name', request.name);
      const { hostNqns, secrets } = check.hostAccess('host_nqns', request.hostNqns, 'hosts', request.hosts);
      return replicaMessage(await domain.replicaExpose(name, hostNqns, call, check.exposeMode('mode', request.mode), secrets));
    }),
    ReplicaClone: unary<ReplicaCloneRequest__Output, Replica>(ctx, 'ReplicaClone', async (request, call) => {
      const mode = request.mode === 'CLONE_MODE_LINKED' ? 'linked' : request.mode === 'CLONE_MODE_FULL' ? 'full' : undefined;
      if (!mode) throw check.invalid('mode', 'mode must be CLONE_MODE_LINKED or CLONE_MODE_FULL');
      return replicaMessage(
        await domain.replicaClone(
          {
            name: check.name('replica', 'name', request.name),
            sourceReplica: check.name('replica', 'source_replica', request.sourceReplica),
            snapshot: check.name('snapshot', 'snapshot', request.snapshot),
            mode,
            ...(request.diskName ? { diskName: check.name('disk', 'disk_name', request.diskName) } : {}),
            ...(request.sourceApiAddress ? { sourceApiAddress: check.apiAddress('source_api_address', request.sourceApiAddress) } : {}),
          },
          call,
        ),
      );
    }),
    ReplicaUnexpose: unary<ReplicaUnexposeRequest__Output, Replica>(ctx, 'ReplicaUnexpose', async (request, call) =>
      replicaMessage(await domain.replicaUnexpose(check.name('replica', 'name', request.name), call)),
    ),
    ReplicaWatch: watchHandler<ReplicaWatchRequest__Output, DomainReplicaEvent, ReplicaEvent>(ctx, options, {
      method: 'ReplicaWatch',
      subscribe: (listener) => domain.replicaWatch(listener),
      toMessage: replicaEventMessage,
    }),
  };
}
