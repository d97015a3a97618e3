// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { DiskKind as _spdk_conductor_v1_DiskKind, DiskKind__Output as _spdk_conductor_v1_DiskKind__Output } from '../../../spdk/conductor/v1/DiskKind.js';
import type { Long } from '@grpc/proto-loader';

export interface DiskCreateRequest {
  /**
   * [a-z0-9][a-z0-9-]*, at most 32 characters
   */
  'name'?: (string);
  /**
   * device or file for aio; BDF (0000:5e:00.0) for nvme
   */
  'path'?: (string);
  /**
   * default AIO
   */
  'kind'?: (_spdk_conductor_v1_DiskKind);
  /**
   * aio only; 0 = the device's own
   */
  'blockSize'?: (number);
  /**
   * 0 = 1 MiB; only used when a new lvstore is made
   */
  'clusterSizeBytes'?: (number | string | Long);
  /**
   * The device may hold data this service did not write (a filesystem, a partition table, a
   * foreign lvstore, any non-zero byte in its first or last MiB): destroy it. Without it such a
   * device is refused with FAILED_PRECONDITION (DISK_NOT_EMPTY) and left as it was.
   */
  'wipe'?: (boolean);
}

export interface DiskCreateRequest__Output {
  /**
   * [a-z0-9][a-z0-9-]*, at most 32 characters
   */
  'name': (string);
  /**
   * device or file for aio; BDF (0000:5e:00.0) for nvme
   */
  'path': (string);
  /**
   * default AIO
   */
  'kind': (_spdk_conductor_v1_DiskKind__Output);
  /**
   * aio only; 0 = the device's own
   */
  'blockSize': (number);
  /**
   * 0 = 1 MiB; only used when a new lvstore is made
   */
  'clusterSizeBytes': (number);
  /**
   * The device may hold data this service did not write (a filesystem, a partition table, a
   * foreign lvstore, any non-zero byte in its first or last MiB): destroy it. Without it such a
   * device is refused with FAILED_PRECONDITION (DISK_NOT_EMPTY) and left as it was.
   */
  'wipe': (boolean);
}
