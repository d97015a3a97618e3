// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Rebuild as _spdk_conductor_v1_Rebuild, Rebuild__Output as _spdk_conductor_v1_Rebuild__Output } from '../../../spdk/conductor/v1/Rebuild.js';

export interface RebuildListResponse {
  'rebuilds'?: (_spdk_conductor_v1_Rebuild)[];
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

export interface RebuildListResponse__Output {
  'rebuilds': (_spdk_conductor_v1_Rebuild__Output)[];
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
