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
}
