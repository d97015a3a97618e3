// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto

import type { Long } from '@grpc/proto-loader';

export interface BackupDeleteResponse {
  'blocksRemoved'?: (number | string | Long);
  /**
   * A backup of the volume was in flight: unreferenced blocks are left for the next delete.
   */
  'sweepDeferred'?: (boolean);
}

export interface BackupDeleteResponse__Output {
  'blocksRemoved': (number);
  /**
   * A backup of the volume was in flight: unreferenced blocks are left for the next delete.
   */
  'sweepDeferred': (boolean);
}
