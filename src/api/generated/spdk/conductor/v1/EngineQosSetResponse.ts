// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Engine as _spdk_conductor_v1_Engine, Engine__Output as _spdk_conductor_v1_Engine__Output } from '../../../spdk/conductor/v1/Engine.js';
import type { EngineQos as _spdk_conductor_v1_EngineQos, EngineQos__Output as _spdk_conductor_v1_EngineQos__Output } from '../../../spdk/conductor/v1/EngineQos.js';

export interface EngineQosSetResponse {
  'engine'?: (_spdk_conductor_v1_Engine | null);
  /**
   * the limits in force now
   */
  'qos'?: (_spdk_conductor_v1_EngineQos | null);
  /**
   * each value spdk_tgt's rules changed, and how
   */
  'adjustments'?: (string)[];
}

export interface EngineQosSetResponse__Output {
  'engine': (_spdk_conductor_v1_Engine__Output | null);
  /**
   * the limits in force now
   */
  'qos': (_spdk_conductor_v1_EngineQos__Output | null);
  /**
   * each value spdk_tgt's rules changed, and how
   */
  'adjustments': (string)[];
}
