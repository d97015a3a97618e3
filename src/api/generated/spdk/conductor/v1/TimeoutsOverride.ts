// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { HostTimeoutsOverride as _spdk_conductor_v1_HostTimeoutsOverride, HostTimeoutsOverride__Output as _spdk_conductor_v1_HostTimeoutsOverride__Output } from '../../../spdk/conductor/v1/HostTimeoutsOverride.js';
import type { ReplicaTimeoutsOverride as _spdk_conductor_v1_ReplicaTimeoutsOverride, ReplicaTimeoutsOverride__Output as _spdk_conductor_v1_ReplicaTimeoutsOverride__Output } from '../../../spdk/conductor/v1/ReplicaTimeoutsOverride.js';

/**
 * A per-engine change to the node's timeout budget, checked against every rule of the budget as a
 * whole: one that would let a lost replica fail the volume is INVALID_ARGUMENT naming the rule.
 */
export interface TimeoutsOverride {
  'host'?: (_spdk_conductor_v1_HostTimeoutsOverride | null);
  'replica'?: (_spdk_conductor_v1_ReplicaTimeoutsOverride | null);
}

/**
 * A per-engine change to the node's timeout budget, checked against every rule of the budget as a
 * whole: one that would let a lost replica fail the volume is INVALID_ARGUMENT naming the rule.
 */
export interface TimeoutsOverride__Output {
  'host': (_spdk_conductor_v1_HostTimeoutsOverride__Output | null);
  'replica': (_spdk_conductor_v1_ReplicaTimeoutsOverride__Output | null);
}
