// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

export const MemberState = {
  MEMBER_STATE_UNSPECIFIED: 'MEMBER_STATE_UNSPECIFIED',
  MEMBER_STATE_HEALTHY: 'MEMBER_STATE_HEALTHY',
  /**
   * in the raid, receiving data from the others
   */
  MEMBER_STATE_REBUILDING: 'MEMBER_STATE_REBUILDING',
  /**
   * known to spdk_tgt but out of the raid
   */
  MEMBER_STATE_FAILED: 'MEMBER_STATE_FAILED',
  /**
   * no controller: never attached, or given up after ctrlr_loss_timeout_sec
   */
  MEMBER_STATE_MISSING: 'MEMBER_STATE_MISSING',
} as const;

export type MemberState =
  | 'MEMBER_STATE_UNSPECIFIED'
  | 0
  | 'MEMBER_STATE_HEALTHY'
  | 1
  /**
   * in the raid, receiving data from the others
   */
  | 'MEMBER_STATE_REBUILDING'
  | 2
  /**
   * known to spdk_tgt but out of the raid
   */
  | 'MEMBER_STATE_FAILED'
  | 3
  /**
   * no controller: never attached, or given up after ctrlr_loss_timeout_sec
   */
  | 'MEMBER_STATE_MISSING'
  | 4

export type MemberState__Output = typeof MemberState[keyof typeof MemberState]
