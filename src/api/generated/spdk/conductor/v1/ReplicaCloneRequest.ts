// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { CloneMode as _spdk_conductor_v1_CloneMode, CloneMode__Output as _spdk_conductor_v1_CloneMode__Output } from '../../../spdk/conductor/v1/CloneMode.js';

export interface ReplicaCloneRequest {
  /**
   * the new replica
   */
  'name'?: (string);
  /**
   * the replica whose snapshot is cloned
   */
  'sourceReplica'?: (string);
  'snapshot'?: (string);
  'mode'?: (_spdk_conductor_v1_CloneMode);
  /**
   * FULL from another node: the disk here for the new replica. Otherwise empty (the clone is on
   * the snapshot's disk).
   */
  'diskName'?: (string);
  /**
   * FULL from another node: that node's API (host:port), where source_replica lives.
   */
  'sourceApiAddress'?: (string);
}

export interface ReplicaCloneRequest__Output {
  /**
   * the new replica
   */
  'name': (string);
  /**
   * the replica whose snapshot is cloned
   */
  'sourceReplica': (string);
  'snapshot': (string);
  'mode': (_spdk_conductor_v1_CloneMode__Output);
  /**
   * FULL from another node: the disk here for the new replica. Otherwise empty (the clone is on
   * the snapshot's disk).
   */
  'diskName': (string);
  /**
   * FULL from another node: that node's API (host:port), where source_replica lives.
   */
  'sourceApiAddress': (string);
}
