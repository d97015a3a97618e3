// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { SalvageVerdict as _spdk_conductor_v1_SalvageVerdict, SalvageVerdict__Output as _spdk_conductor_v1_SalvageVerdict__Output } from '../../../spdk/conductor/v1/SalvageVerdict.js';
import type { Long } from '@grpc/proto-loader';

/**
 * How the source of an engine made over members that held data was chosen (docs/volume-operations.md).
 */
export interface EngineSalvage {
  'source'?: (string);
  /**
   * The step of the rule that decided: explicit (the caller's source), written (the only member
   * ever written), record, superblock, snapshots, order.
   */
  'rule'?: (string);
  'reason'?: (string);
  /**
   * Unix ms
   */
  'decidedAtMs'?: (number | string | Long);
  'members'?: (_spdk_conductor_v1_SalvageVerdict)[];
}

/**
 * How the source of an engine made over members that held data was chosen (docs/volume-operations.md).
 */
export interface EngineSalvage__Output {
  'source': (string);
  /**
   * The step of the rule that decided: explicit (the caller's source), written (the only member
   * ever written), record, superblock, snapshots, order.
   */
  'rule': (string);
  'reason': (string);
  /**
   * Unix ms
   */
  'decidedAtMs': (number);
  'members': (_spdk_conductor_v1_SalvageVerdict__Output)[];
}
