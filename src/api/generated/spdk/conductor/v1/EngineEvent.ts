// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Engine as _spdk_conductor_v1_Engine, Engine__Output as _spdk_conductor_v1_Engine__Output } from '../../../spdk/conductor/v1/Engine.js';

// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

export const _spdk_conductor_v1_EngineEvent_Type = {
  TYPE_UNSPECIFIED: 'TYPE_UNSPECIFIED',
  ADDED: 'ADDED',
  MODIFIED: 'MODIFIED',
  DELETED: 'DELETED',
  /**
   * the initial list is complete; what follows are changes
   */
  SYNCED: 'SYNCED',
} as const;

export type _spdk_conductor_v1_EngineEvent_Type =
  | 'TYPE_UNSPECIFIED'
  | 0
  | 'ADDED'
  | 1
  | 'MODIFIED'
  | 2
  | 'DELETED'
  | 3
  /**
   * the initial list is complete; what follows are changes
   */
  | 'SYNCED'
  | 4

export type _spdk_conductor_v1_EngineEvent_Type__Output = typeof _spdk_conductor_v1_EngineEvent_Type[keyof typeof _spdk_conductor_v1_EngineEvent_Type]

export interface EngineEvent {
  'type'?: (_spdk_conductor_v1_EngineEvent_Type);
  /**
   * unset for SYNCED, and for DELETED (the reason names the engine)
   */
  'engine'?: (_spdk_conductor_v1_Engine | null);
  'reason'?: (string);
}

export interface EngineEvent__Output {
  'type': (_spdk_conductor_v1_EngineEvent_Type__Output);
  /**
   * unset for SYNCED, and for DELETED (the reason names the engine)
   */
  'engine': (_spdk_conductor_v1_Engine__Output | null);
  'reason': (string);
}
