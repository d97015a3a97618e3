// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

export const EngineState = {
  ENGINE_STATE_UNSPECIFIED: 'ENGINE_STATE_UNSPECIFIED',
  /**
   * every member in the raid
   */
  ENGINE_STATE_HEALTHY: 'ENGINE_STATE_HEALTHY',
  /**
   * serving I/O with fewer members than asked for (Engine.reason says which)
   */
  ENGINE_STATE_DEGRADED: 'ENGINE_STATE_DEGRADED',
  /**
   * not serving: the raid is gone, offline, or has no healthy member
   */
  ENGINE_STATE_FAULTED: 'ENGINE_STATE_FAULTED',
} as const;

export type EngineState =
  | 'ENGINE_STATE_UNSPECIFIED'
  | 0
  /**
   * every member in the raid
   */
  | 'ENGINE_STATE_HEALTHY'
  | 1
  /**
   * serving I/O with fewer members than asked for (Engine.reason says which)
   */
  | 'ENGINE_STATE_DEGRADED'
  | 2
  /**
   * not serving: the raid is gone, offline, or has no healthy member
   */
  | 'ENGINE_STATE_FAULTED'
  | 3

export type EngineState__Output = typeof EngineState[keyof typeof EngineState]
