// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { HostAccess as _spdk_conductor_v1_HostAccess, HostAccess__Output as _spdk_conductor_v1_HostAccess__Output } from '../../../spdk/conductor/v1/HostAccess.js';

export interface SnapshotShallowCopyRequest {
  'replicaName'?: (string);
  'snapshotName'?: (string);
  'targetAddress'?: (string);
  'targetPort'?: (number);
  'targetNqn'?: (string);
  /**
   * Set: the copy attaches as this host with these secrets (the target's export allows it with
   * them), e.g. a per-copy host a rebuild gave the new replica's export. Unset: as this node's
   * engine host NQN, with no keys. Sent only over a confidential channel (mutual TLS).
   */
  'host'?: (_spdk_conductor_v1_HostAccess | null);
}

export interface SnapshotShallowCopyRequest__Output {
  'replicaName': (string);
  'snapshotName': (string);
  'targetAddress': (string);
  'targetPort': (number);
  'targetNqn': (string);
  /**
   * Set: the copy attaches as this host with these secrets (the target's export allows it with
   * them), e.g. a per-copy host a rebuild gave the new replica's export. Unset: as this node's
   * engine host NQN, with no keys. Sent only over a confidential channel (mutual TLS).
   */
  'host': (_spdk_conductor_v1_HostAccess__Output | null);
}
