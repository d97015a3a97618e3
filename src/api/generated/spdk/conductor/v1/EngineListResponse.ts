// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Engine as _spdk_conductor_v1_Engine, Engine__Output as _spdk_conductor_v1_Engine__Output } from '../../../spdk/conductor/v1/Engine.js';

export interface EngineListResponse {
  'engines'?: (_spdk_conductor_v1_Engine)[];
  /**
   * set when more follow: the next request's page_token
   */
  'nextPageToken'?: (string);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale'?: (boolean);
  'staleReason'?: (string);
}

export interface EngineListResponse__Output {
  'engines': (_spdk_conductor_v1_Engine__Output)[];
  /**
   * set when more follow: the next request's page_token
   */
  'nextPageToken': (string);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale': (boolean);
  'staleReason': (string);
}
