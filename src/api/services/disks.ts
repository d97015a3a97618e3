/** spdk.conductor.v1.Disks: requests checked at the edge, then handed to the domain. */
import type { DiskCreate } from '../../domain/model.js';
import type { Disk } from '../generated/spdk/conductor/v1/Disk.js';
import type { DiskCreateRequest__Output } from '../generated/spdk/conductor/v1/DiskCreateRequest.js';
import type { DiskDeleteRequest__Output } from '../generated/spdk/conductor/v1/DiskDeleteRequest.js';
import type { DiskDeleteResponse } from '../generated/spdk/conductor/v1/DiskDeleteResponse.js';
import type { DiskGetRequest__Output } from '../generated/spdk/conductor/v1/DiskGetRequest.js';
import type { DiskListRequest__Output } from '../generated/spdk/conductor/v1/DiskListRequest.js';
import type { DiskListResponse } from '../generated/spdk/conductor/v1/DiskListResponse.js';
import type { DisksHandlers } from '../generated/spdk/conductor/v1/Disks.js';
import { diskMessage } from '../messages.js';
import * as check from '../validate.js';
import { answerPage, pageRequest } from '../paging.js';
import { unary, type ServiceContext } from './call.js';

const BLOCK_SIZE = { min: 512, max: 65_536 };
const CLUSTER_SIZE = { min: 4096, max: 1 << 30 };

export function diskCreateRequest(request: DiskCreateRequest__Output): DiskCreate {
  const name = check.name('disk', 'name', request.name);
  const kind = check.diskKind('kind', request.kind);
  const path = check.diskPath('path', kind, request.path);
  if (kind === 'nvme' && request.blockSize !== 0) throw check.invalid('block_size', 'applies to aio disks only; leave it 0 for an nvme disk', 'INVALID_SIZE');
  const blockSize = check.optionalPowerOfTwo('block_size', request.blockSize, BLOCK_SIZE.min, BLOCK_SIZE.max);
  const clusterSizeBytes = check.optionalPowerOfTwo('cluster_size_bytes', request.clusterSizeBytes, CLUSTER_SIZE.min, CLUSTER_SIZE.max);
  const create: DiskCreate = { name, path, kind };
  if (blockSize !== undefined) create.blockSize = blockSize;
  if (clusterSizeBytes !== undefined) create.clusterSizeBytes = clusterSizeBytes;
  if (request.wipe) create.wipe = true;
  return create;
}

export function disksHandlers(ctx: ServiceContext): DisksHandlers {
  const { domain } = ctx;
  return {
    DiskCreate: unary<DiskCreateRequest__Output, Disk>(ctx, 'DiskCreate', async (request, options) => diskMessage(await domain.diskCreate(diskCreateRequest(request), options))),
    DiskGet: unary<DiskGetRequest__Output, Disk>(ctx, 'DiskGet', async (request, options) => diskMessage(await domain.diskGet(check.name('disk', 'name', request.name), options))),
    DiskList: unary<DiskListRequest__Output, DiskListResponse>(ctx, 'DiskList', async (request, options) => {
      const scope = { list: 'DiskList', filter: '' };
      const page = pageRequest(scope, request);
      const { items, nextPageToken } = answerPage(scope, page, await domain.diskList(options, page), (d) => d.name);
      return { disks: items.map(diskMessage), nextPageToken };
    }),
    DiskDelete: unary<DiskDeleteRequest__Output, DiskDeleteResponse>(ctx, 'DiskDelete', async (request, options) => {
      return { alreadyAbsent: (await domain.diskDelete(check.name('disk', 'name', request.name), request.wipe, options, request.force)) === 'already-absent' };
    }),
  };
}
