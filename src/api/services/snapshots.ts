/** spdk.conductor.v1.Snapshots: requests checked at the edge, then handed to the domain. */
import type { SnapshotCreate } from '../../domain/model.js';
import type { Replica } from '../generated/spdk/conductor/v1/Replica.js';
import type { Snapshot } from '../generated/spdk/conductor/v1/Snapshot.js';
import type { SnapshotCreateRequest__Output } from '../generated/spdk/conductor/v1/SnapshotCreateRequest.js';
import type { SnapshotDeleteRequest__Output } from '../generated/spdk/conductor/v1/SnapshotDeleteRequest.js';
import type { SnapshotDeleteResponse } from '../generated/spdk/conductor/v1/SnapshotDeleteResponse.js';
import type { SnapshotListRequest__Output } from '../generated/spdk/conductor/v1/SnapshotListRequest.js';
import type { SnapshotListResponse } from '../generated/spdk/conductor/v1/SnapshotListResponse.js';
import type { SnapshotPurgeRequest__Output } from '../generated/spdk/conductor/v1/SnapshotPurgeRequest.js';
import type { SnapshotPurgeResponse } from '../generated/spdk/conductor/v1/SnapshotPurgeResponse.js';
import type { SnapshotRevertRequest__Output } from '../generated/spdk/conductor/v1/SnapshotRevertRequest.js';
import type { SnapshotsHandlers } from '../generated/spdk/conductor/v1/Snapshots.js';
import { replicaMessage, snapshotMessage } from '../messages.js';
import * as check from '../validate.js';
import { unary, type ServiceContext } from './call.js';
import { shallowCopyHandler } from './node.js';

export function snapshotCreateRequest(request: SnapshotCreateRequest__Output): SnapshotCreate {
  return {
    replicaName: check.name('replica', 'replica_name', request.replicaName),
    name: check.name('snapshot', 'name', request.name),
    labels: check.labels('labels', request.labels),
    userCreated: request.userCreated,
  };
}

/** Delete and revert name one snapshot of one replica. */
function target(request: { replicaName: string; name: string }): [replicaName: string, name: string] {
  return [check.name('replica', 'replica_name', request.replicaName), check.name('snapshot', 'name', request.name)];
}

export function snapshotsHandlers(ctx: ServiceContext): SnapshotsHandlers {
  const { domain } = ctx;
  return {
    SnapshotCreate: unary<SnapshotCreateRequest__Output, Snapshot>(ctx, 'SnapshotCreate', async (request, call) => snapshotMessage(await domain.snapshotCreate(snapshotCreateRequest(request), call))),
    SnapshotList: unary<SnapshotListRequest__Output, SnapshotListResponse>(ctx, 'SnapshotList', async (request, call) => ({
      snapshots: (await domain.snapshotList(check.name('replica', 'replica_name', request.replicaName), call)).map(snapshotMessage),
    })),
    SnapshotDelete: unary<SnapshotDeleteRequest__Output, SnapshotDeleteResponse>(ctx, 'SnapshotDelete', async (request, call) => {
      return { alreadyAbsent: (await domain.snapshotDelete(...target(request), call)) === 'already-absent' };
    }),
    SnapshotRevert: unary<SnapshotRevertRequest__Output, Replica>(ctx, 'SnapshotRevert', async (request, call) => replicaMessage(await domain.snapshotRevert(...target(request), call, request.force))),
    SnapshotShallowCopy: shallowCopyHandler(ctx),
    SnapshotPurge: unary<SnapshotPurgeRequest__Output, SnapshotPurgeResponse>(ctx, 'SnapshotPurge', async (request, call) => ({
      deleted: await domain.snapshotPurge(check.name('replica', 'replica_name', request.replicaName), call),
    })),
  };
}
