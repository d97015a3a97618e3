// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Disk as _spdk_conductor_v1_Disk, Disk__Output as _spdk_conductor_v1_Disk__Output } from '../../../spdk/conductor/v1/Disk.js';

export interface DiskListResponse {
  'disks'?: (_spdk_conductor_v1_Disk)[];
  /**
   * Set when more objects follow: send it as page_token. A page never repeats or skips an object
   * that existed for the whole listing (creates and deletes meanwhile may or may not show).
   */
  'nextPageToken'?: (string);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale'?: (boolean);
  'staleReason'?: (string);
}

export interface DiskListResponse__Output {
  'disks': (_spdk_conductor_v1_Disk__Output)[];
  /**
   * Set when more objects follow: send it as page_token. A page never repeats or skips an object
   * that existed for the whole listing (creates and deletes meanwhile may or may not show).
   */
  'nextPageToken': (string);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale': (boolean);
  'staleReason': (string);
}
