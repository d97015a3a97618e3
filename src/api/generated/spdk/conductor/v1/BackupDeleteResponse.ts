// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto

import type { Long } from '@grpc/proto-loader';

export interface BackupDeleteResponse {
  'blocksRemoved'?: (number | string | Long);
  /**
   * A backup of the volume was in flight: the unreferenced blocks stay until the sweep the service
   * recorded runs by itself (BackupListResponse.sweeps), once that backup has ended.
   */
  'sweepDeferred'?: (boolean);
}

export interface BackupDeleteResponse__Output {
  'blocksRemoved': (number);
  /**
   * A backup of the volume was in flight: the unreferenced blocks stay until the sweep the service
   * recorded runs by itself (BackupListResponse.sweeps), once that backup has ended.
   */
  'sweepDeferred': (boolean);
}
