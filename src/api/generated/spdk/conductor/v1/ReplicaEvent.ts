// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { Replica as _spdk_conductor_v1_Replica, Replica__Output as _spdk_conductor_v1_Replica__Output } from '../../../spdk/conductor/v1/Replica.js';

// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

export const _spdk_conductor_v1_ReplicaEvent_Type = {
  TYPE_UNSPECIFIED: 'TYPE_UNSPECIFIED',
  ADDED: 'ADDED',
  MODIFIED: 'MODIFIED',
  DELETED: 'DELETED',
  /**
   * the initial list is complete; what follows are changes
   */
  SYNCED: 'SYNCED',
} as const;

export type _spdk_conductor_v1_ReplicaEvent_Type =
  | 'TYPE_UNSPECIFIED'
  | 0
  | 'ADDED'
  | 1
  | 'MODIFIED'
  | 2
  | 'DELETED'
  | 3
  /**
   * the initial list is complete; what follows are changes
   */
  | 'SYNCED'
  | 4

export type _spdk_conductor_v1_ReplicaEvent_Type__Output = typeof _spdk_conductor_v1_ReplicaEvent_Type[keyof typeof _spdk_conductor_v1_ReplicaEvent_Type]

export interface ReplicaEvent {
  'type'?: (_spdk_conductor_v1_ReplicaEvent_Type);
  'replica'?: (_spdk_conductor_v1_Replica | null);
  'reason'?: (string);
}

export interface ReplicaEvent__Output {
  'type': (_spdk_conductor_v1_ReplicaEvent_Type__Output);
  'replica': (_spdk_conductor_v1_Replica__Output | null);
  'reason': (string);
}
