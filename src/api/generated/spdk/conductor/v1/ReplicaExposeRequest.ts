// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { HostAccess as _spdk_conductor_v1_HostAccess, HostAccess__Output as _spdk_conductor_v1_HostAccess__Output } from '../../../spdk/conductor/v1/HostAccess.js';

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
}
