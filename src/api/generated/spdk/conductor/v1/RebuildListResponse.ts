// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Rebuild as _spdk_conductor_v1_Rebuild, Rebuild__Output as _spdk_conductor_v1_Rebuild__Output } from '../../../spdk/conductor/v1/Rebuild.js';

export interface RebuildListResponse {
  'rebuilds'?: (_spdk_conductor_v1_Rebuild)[];
  /**
   * set when more follow: the next request's page_token
   */
  'nextPageToken'?: (string);
}

export interface RebuildListResponse__Output {
  'rebuilds': (_spdk_conductor_v1_Rebuild__Output)[];
  /**
   * set when more follow: the next request's page_token
   */
  'nextPageToken': (string);
}
