// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { DiskKind as _spdk_conductor_v1_DiskKind, DiskKind__Output as _spdk_conductor_v1_DiskKind__Output } from '../../../spdk/conductor/v1/DiskKind.js';
import type { Long } from '@grpc/proto-loader';

export interface Disk {
  'name'?: (string);
  'kind'?: (_spdk_conductor_v1_DiskKind);
  /**
   * device path or file (aio), or PCIe BDF (nvme)
   */
  'path'?: (string);
  'bdevName'?: (string);
  'lvstoreName'?: (string);
  'lvstoreUuid'?: (string);
  'clusterSizeBytes'?: (number | string | Long);
  'blockSize'?: (number);
  'totalBytes'?: (number | string | Long);
  'freeBytes'?: (number | string | Long);
  'allocatedBytes'?: (number | string | Long);
  'replicaCount'?: (number);
  /**
   * True when the lvstore existed before this service attached the disk.
   */
  'adopted'?: (boolean);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale'?: (boolean);
  'staleReason'?: (string);
}

export interface Disk__Output {
  'name': (string);
  'kind': (_spdk_conductor_v1_DiskKind__Output);
  /**
   * device path or file (aio), or PCIe BDF (nvme)
   */
  'path': (string);
  'bdevName': (string);
  'lvstoreName': (string);
  'lvstoreUuid': (string);
  'clusterSizeBytes': (number);
  'blockSize': (number);
  'totalBytes': (number);
  'freeBytes': (number);
  'allocatedBytes': (number);
  'replicaCount': (number);
  /**
   * True when the lvstore existed before this service attached the disk.
   */
  'adopted': (boolean);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale': (boolean);
  'staleReason': (string);
}
