// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';

export interface VolumeSnapshot {
  'engine'?: (string);
  'name'?: (string);
  'createdAt'?: (_google_protobuf_Timestamp | null);
  'labels'?: ({[key: string]: string});
  /**
   * the members that have it
   */
  'members'?: (string)[];
  /**
   * ready, or creating / deleting while that runs (or died and awaits recovery)
   */
  'state'?: (string);
  /**
   * identical, or unverified: taken under possible host writes
   */
  'consistency'?: (string);
  /**
   * members whose snapshots are known to hold the same data (a rebuild copied one from another)
   */
  'identical'?: (string)[];
}

export interface VolumeSnapshot__Output {
  'engine': (string);
  'name': (string);
  'createdAt': (_google_protobuf_Timestamp__Output | null);
  'labels': ({[key: string]: string});
  /**
   * the members that have it
   */
  'members': (string)[];
  /**
   * ready, or creating / deleting while that runs (or died and awaits recovery)
   */
  'state': (string);
  /**
   * identical, or unverified: taken under possible host writes
   */
  'consistency': (string);
  /**
   * members whose snapshots are known to hold the same data (a rebuild copied one from another)
   */
  'identical': (string)[];
}
