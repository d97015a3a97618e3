// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { EngineReplica as _spdk_conductor_v1_EngineReplica, EngineReplica__Output as _spdk_conductor_v1_EngineReplica__Output } from '../../../spdk/conductor/v1/EngineReplica.js';
import type { FrontendKind as _spdk_conductor_v1_FrontendKind, FrontendKind__Output as _spdk_conductor_v1_FrontendKind__Output } from '../../../spdk/conductor/v1/FrontendKind.js';
import type { TimeoutsOverride as _spdk_conductor_v1_TimeoutsOverride, TimeoutsOverride__Output as _spdk_conductor_v1_TimeoutsOverride__Output } from '../../../spdk/conductor/v1/TimeoutsOverride.js';
import type { Long } from '@grpc/proto-loader';

export interface EngineCreateRequest {
  /**
   * the volume, [a-z0-9][a-z0-9-]*, at most 48 characters
   */
  'name'?: (string);
  /**
   * > 0, a multiple of 1 MiB
   */
  'sizeBytes'?: (number | string | Long);
  /**
   * at least two, each name once
   */
  'replicas'?: (_spdk_conductor_v1_EngineReplica)[];
  'frontend'?: (_spdk_conductor_v1_FrontendKind);
  /**
   * Hosts allowed to connect to the volume: at least one for EXPORT_ONLY; for NVME_HOST this
   * node's own host NQN is added.
   */
  'hostNqns'?: (string)[];
  /**
   * unset: the node's budget
   */
  'timeouts'?: (_spdk_conductor_v1_TimeoutsOverride | null);
  /**
   * The member whose data the others are rebuilt from when the replicas may have diverged (they
   * hold data: the engine is made again after its node crashed); empty: chosen by the rule in
   * docs/volume-operations.md, "Replica salvage". Never trusted beside another: the rest are rebuilt.
   */
  'source'?: (string);
}

export interface EngineCreateRequest__Output {
  /**
   * the volume, [a-z0-9][a-z0-9-]*, at most 48 characters
   */
  'name': (string);
  /**
   * > 0, a multiple of 1 MiB
   */
  'sizeBytes': (number);
  /**
   * at least two, each name once
   */
  'replicas': (_spdk_conductor_v1_EngineReplica__Output)[];
  'frontend': (_spdk_conductor_v1_FrontendKind__Output);
  /**
   * Hosts allowed to connect to the volume: at least one for EXPORT_ONLY; for NVME_HOST this
   * node's own host NQN is added.
   */
  'hostNqns': (string)[];
  /**
   * unset: the node's budget
   */
  'timeouts': (_spdk_conductor_v1_TimeoutsOverride__Output | null);
  /**
   * The member whose data the others are rebuilt from when the replicas may have diverged (they
   * hold data: the engine is made again after its node crashed); empty: chosen by the rule in
   * docs/volume-operations.md, "Replica salvage". Never trusted beside another: the rest are rebuilt.
   */
  'source': (string);
}
