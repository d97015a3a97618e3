// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { ExposeMode as _spdk_conductor_v1_ExposeMode, ExposeMode__Output as _spdk_conductor_v1_ExposeMode__Output } from '../../../spdk/conductor/v1/ExposeMode.js';

export interface ReplicaExposeRequest {
  'name'?: (string);
  /**
   * at least one
   */
  'hostNqns'?: (string)[];
  /**
   * What to do with a replica already exposed to other hosts. Unspecified: the same hosts (as a
   * set) are a no-op and other hosts are refused (FAILED_PRECONDITION) until the caller chooses.
   */
  'mode'?: (_spdk_conductor_v1_ExposeMode);
}

export interface ReplicaExposeRequest__Output {
  'name': (string);
  /**
   * at least one
   */
  'hostNqns': (string)[];
  /**
   * What to do with a replica already exposed to other hosts. Unspecified: the same hosts (as a
   * set) are a no-op and other hosts are refused (FAILED_PRECONDITION) until the caller chooses.
   */
  'mode': (_spdk_conductor_v1_ExposeMode__Output);
}
