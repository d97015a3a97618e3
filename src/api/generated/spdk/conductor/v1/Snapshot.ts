// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';
import type { Long } from '@grpc/proto-loader';

export interface Snapshot {
  'name'?: (string);
  'replicaName'?: (string);
  'createdAt'?: (_google_protobuf_Timestamp | null);
  'labels'?: ({[key: string]: string});
  /**
   * empty for the oldest
   */
  'parent'?: (string);
  /**
   * snapshot names; "" stands for the replica's head
   */
  'children'?: (string)[];
  'sizeBytes'?: (number | string | Long);
  'allocatedBytes'?: (number | string | Long);
  'userCreated'?: (boolean);
  /**
   * Deleted while a copy (a backup's stage, a rebuild) reads it: spdk_tgt still has it, and deletes
   * it when the copy ends; until then its name is not free (SnapshotCreate: SNAPSHOT_DELETE_PENDING).
   */
  'deletePending'?: (boolean);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale'?: (boolean);
  'staleReason'?: (string);
}

export interface Snapshot__Output {
  'name': (string);
  'replicaName': (string);
  'createdAt': (_google_protobuf_Timestamp__Output | null);
  'labels': ({[key: string]: string});
  /**
   * empty for the oldest
   */
  'parent': (string);
  /**
   * snapshot names; "" stands for the replica's head
   */
  'children': (string)[];
  'sizeBytes': (number);
  'allocatedBytes': (number);
  'userCreated': (boolean);
  /**
   * Deleted while a copy (a backup's stage, a rebuild) reads it: spdk_tgt still has it, and deletes
   * it when the copy ends; until then its name is not free (SnapshotCreate: SNAPSHOT_DELETE_PENDING).
   */
  'deletePending': (boolean);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale': (boolean);
  'staleReason': (string);
}
