// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

export const ReplicaLocation = {
  REPLICA_LOCATION_UNSPECIFIED: 'REPLICA_LOCATION_UNSPECIFIED',
  /**
   * on another node, attached over NVMe/TCP
   */
  REPLICA_LOCATION_REMOTE: 'REPLICA_LOCATION_REMOTE',
  /**
   * on this node, used directly
   */
  REPLICA_LOCATION_LOCAL: 'REPLICA_LOCATION_LOCAL',
} as const;

export type ReplicaLocation =
  | 'REPLICA_LOCATION_UNSPECIFIED'
  | 0
  /**
   * on another node, attached over NVMe/TCP
   */
  | 'REPLICA_LOCATION_REMOTE'
  | 1
  /**
   * on this node, used directly
   */
  | 'REPLICA_LOCATION_LOCAL'
  | 2

export type ReplicaLocation__Output = typeof ReplicaLocation[keyof typeof ReplicaLocation]
