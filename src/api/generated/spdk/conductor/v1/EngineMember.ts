// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { ReplicaLocation as _spdk_conductor_v1_ReplicaLocation, ReplicaLocation__Output as _spdk_conductor_v1_ReplicaLocation__Output } from '../../../spdk/conductor/v1/ReplicaLocation.js';
import type { MemberState as _spdk_conductor_v1_MemberState, MemberState__Output as _spdk_conductor_v1_MemberState__Output } from '../../../spdk/conductor/v1/MemberState.js';

export interface EngineMember {
  'name'?: (string);
  'location'?: (_spdk_conductor_v1_ReplicaLocation);
  'bdevName'?: (string);
  'state'?: (_spdk_conductor_v1_MemberState);
  /**
   * why it is in that state, as spdk_tgt showed it
   */
  'reason'?: (string);
  /**
   * remote members: bdev_nvme's controller state (enabled, resetting...)
   */
  'controllerState'?: (string);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale'?: (boolean);
  'staleReason'?: (string);
}

export interface EngineMember__Output {
  'name': (string);
  'location': (_spdk_conductor_v1_ReplicaLocation__Output);
  'bdevName': (string);
  'state': (_spdk_conductor_v1_MemberState__Output);
  /**
   * why it is in that state, as spdk_tgt showed it
   */
  'reason': (string);
  /**
   * remote members: bdev_nvme's controller state (enabled, resetting...)
   */
  'controllerState': (string);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale': (boolean);
  'staleReason': (string);
}
