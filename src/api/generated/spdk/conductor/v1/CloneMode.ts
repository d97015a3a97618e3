// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

export const CloneMode = {
  /**
   * refused: the caller must choose
   */
  CLONE_MODE_UNSPECIFIED: 'CLONE_MODE_UNSPECIFIED',
  CLONE_MODE_LINKED: 'CLONE_MODE_LINKED',
  CLONE_MODE_FULL: 'CLONE_MODE_FULL',
} as const;

export type CloneMode =
  /**
   * refused: the caller must choose
   */
  | 'CLONE_MODE_UNSPECIFIED'
  | 0
  | 'CLONE_MODE_LINKED'
  | 1
  | 'CLONE_MODE_FULL'
  | 2

export type CloneMode__Output = typeof CloneMode[keyof typeof CloneMode]
