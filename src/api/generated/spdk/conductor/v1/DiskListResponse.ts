// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Disk as _spdk_conductor_v1_Disk, Disk__Output as _spdk_conductor_v1_Disk__Output } from '../../../spdk/conductor/v1/Disk.js';

export interface DiskListResponse {
  'disks'?: (_spdk_conductor_v1_Disk)[];
  /**
   * Set when more objects follow: send it as page_token. A page never repeats or skips an object
   * that existed for the whole listing (creates and deletes meanwhile may or may not show).
   */
  'nextPageToken'?: (string);
}

export interface DiskListResponse__Output {
  'disks': (_spdk_conductor_v1_Disk__Output)[];
  /**
   * Set when more objects follow: send it as page_token. A page never repeats or skips an object
   * that existed for the whole listing (creates and deletes meanwhile may or may not show).
   */
  'nextPageToken': (string);
}
