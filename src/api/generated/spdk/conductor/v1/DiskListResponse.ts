// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Disk as _spdk_conductor_v1_Disk, Disk__Output as _spdk_conductor_v1_Disk__Output } from '../../../spdk/conductor/v1/Disk.js';

export interface DiskListResponse {
  'disks'?: (_spdk_conductor_v1_Disk)[];
}

export interface DiskListResponse__Output {
  'disks': (_spdk_conductor_v1_Disk__Output)[];
}
