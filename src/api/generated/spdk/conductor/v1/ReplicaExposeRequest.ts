// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { HostAccess as _spdk_conductor_v1_HostAccess, HostAccess__Output as _spdk_conductor_v1_HostAccess__Output } from '../../../spdk/conductor/v1/HostAccess.js';
import type { ExposeMode as _spdk_conductor_v1_ExposeMode, ExposeMode__Output as _spdk_conductor_v1_ExposeMode__Output } from '../../../spdk/conductor/v1/ExposeMode.js';

export interface ReplicaExposeRequest {
  'name'?: (string);
  /**
   * at least one host in host_nqns and hosts together
   */
  'hostNqns'?: (string)[];
  /**
   * Hosts that must authenticate, beside host_nqns (a host is in one list or the other).
   */
  'hosts'?: (_spdk_conductor_v1_HostAccess)[];
  /**
   * What to do with a replica already exposed to other hosts. Unspecified: the same hosts (as a
   * set) are a no-op and other hosts are refused (FAILED_PRECONDITION) until the caller chooses.
   */
  'mode'?: (_spdk_conductor_v1_ExposeMode);
}

export interface ReplicaExposeRequest__Output {
  'name': (string);
  /**
   * at least one host in host_nqns and hosts together
   */
  'hostNqns': (string)[];
  /**
   * Hosts that must authenticate, beside host_nqns (a host is in one list or the other).
   */
  'hosts': (_spdk_conductor_v1_HostAccess__Output)[];
  /**
   * What to do with a replica already exposed to other hosts. Unspecified: the same hosts (as a
   * set) are a no-op and other hosts are refused (FAILED_PRECONDITION) until the caller chooses.
   */
  'mode': (_spdk_conductor_v1_ExposeMode__Output);
}
