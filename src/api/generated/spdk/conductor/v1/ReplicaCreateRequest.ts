// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { HostAccess as _spdk_conductor_v1_HostAccess, HostAccess__Output as _spdk_conductor_v1_HostAccess__Output } from '../../../spdk/conductor/v1/HostAccess.js';
import type { Long } from '@grpc/proto-loader';

export interface ReplicaCreateRequest {
  /**
   * [a-z0-9][a-z0-9-]*, at most 48 characters
   */
  'name'?: (string);
  'diskName'?: (string);
  /**
   * > 0, a multiple of the disk's cluster size
   */
  'sizeBytes'?: (number | string | Long);
  /**
   * When given, the replica is also exposed to these hosts in the same call (as ReplicaExpose
   * would), all or nothing: a replica this call created is removed again if the export fails.
   * An existing replica is returned only when identical (disk, size, and these hosts as a set,
   * none meaning not exposed); otherwise ALREADY_EXISTS names what differs.
   */
  'hostNqns'?: (string)[];
  /**
   * Hosts that must authenticate, beside host_nqns (a host is in one list or the other).
   */
  'hosts'?: (_spdk_conductor_v1_HostAccess)[];
}

export interface ReplicaCreateRequest__Output {
  /**
   * [a-z0-9][a-z0-9-]*, at most 48 characters
   */
  'name': (string);
  'diskName': (string);
  /**
   * > 0, a multiple of the disk's cluster size
   */
  'sizeBytes': (number);
  /**
   * When given, the replica is also exposed to these hosts in the same call (as ReplicaExpose
   * would), all or nothing: a replica this call created is removed again if the export fails.
   * An existing replica is returned only when identical (disk, size, and these hosts as a set,
   * none meaning not exposed); otherwise ALREADY_EXISTS names what differs.
   */
  'hostNqns': (string)[];
  /**
   * Hosts that must authenticate, beside host_nqns (a host is in one list or the other).
   */
  'hosts': (_spdk_conductor_v1_HostAccess__Output)[];
}
