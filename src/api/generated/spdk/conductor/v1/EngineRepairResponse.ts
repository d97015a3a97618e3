// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Engine as _spdk_conductor_v1_Engine, Engine__Output as _spdk_conductor_v1_Engine__Output } from '../../../spdk/conductor/v1/Engine.js';

export interface EngineRepairResponse {
  'engine'?: (_spdk_conductor_v1_Engine | null);
  /**
   * what the repair did, in order; empty when the engine was as recorded
   */
  'actions'?: (string)[];
  /**
   * why it could not be brought back whole; empty when it was
   */
  'problem'?: (string);
}

export interface EngineRepairResponse__Output {
  'engine': (_spdk_conductor_v1_Engine__Output | null);
  /**
   * what the repair did, in order; empty when the engine was as recorded
   */
  'actions': (string)[];
  /**
   * why it could not be brought back whole; empty when it was
   */
  'problem': (string);
}
