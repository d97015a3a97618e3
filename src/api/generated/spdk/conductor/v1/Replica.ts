// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { ExportInfo as _spdk_conductor_v1_ExportInfo, ExportInfo__Output as _spdk_conductor_v1_ExportInfo__Output } from '../../../spdk/conductor/v1/ExportInfo.js';
import type { CloneProgress as _spdk_conductor_v1_CloneProgress, CloneProgress__Output as _spdk_conductor_v1_CloneProgress__Output } from '../../../spdk/conductor/v1/CloneProgress.js';
import type { Long } from '@grpc/proto-loader';

export interface Replica {
  'name'?: (string);
  'diskName'?: (string);
  'sizeBytes'?: (number | string | Long);
  'lvolUuid'?: (string);
  /**
   * lvstore/lvol in spdk_tgt
   */
  'lvolAlias'?: (string);
  'allocatedBytes'?: (number | string | Long);
  /**
   * unset when not exposed
   */
  'export'?: (_spdk_conductor_v1_ExportInfo | null);
  /**
   * the snapshot the head was cloned from, or empty
   */
  'headParent'?: (string);
  'snapshotCount'?: (number);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale'?: (boolean);
  'staleReason'?: (string);
  /**
   * A full clone filling this replica (ReplicaGet, ReplicaWatch while it runs; ReplicaClone's
   * answer with phase "done"); unset otherwise.
   */
  'clone'?: (_spdk_conductor_v1_CloneProgress | null);
}

export interface Replica__Output {
  'name': (string);
  'diskName': (string);
  'sizeBytes': (number);
  'lvolUuid': (string);
  /**
   * lvstore/lvol in spdk_tgt
   */
  'lvolAlias': (string);
  'allocatedBytes': (number);
  /**
   * unset when not exposed
   */
  'export': (_spdk_conductor_v1_ExportInfo__Output | null);
  /**
   * the snapshot the head was cloned from, or empty
   */
  'headParent': (string);
  'snapshotCount': (number);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale': (boolean);
  'staleReason': (string);
  /**
   * A full clone filling this replica (ReplicaGet, ReplicaWatch while it runs; ReplicaClone's
   * answer with phase "done"); unset otherwise.
   */
  'clone': (_spdk_conductor_v1_CloneProgress__Output | null);
}
