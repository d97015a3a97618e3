// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { EngineMember as _spdk_conductor_v1_EngineMember, EngineMember__Output as _spdk_conductor_v1_EngineMember__Output } from '../../../spdk/conductor/v1/EngineMember.js';

export interface EngineReplicaListResponse {
  'members'?: (_spdk_conductor_v1_EngineMember)[];
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale'?: (boolean);
  'staleReason'?: (string);
}

export interface EngineReplicaListResponse__Output {
  'members': (_spdk_conductor_v1_EngineMember__Output)[];
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale': (boolean);
  'staleReason': (string);
}
