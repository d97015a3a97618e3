// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

export const ExposeMode = {
  EXPOSE_MODE_UNSPECIFIED: 'EXPOSE_MODE_UNSPECIFIED',
  /**
   * host_nqns join the hosts the export already allows
   */
  EXPOSE_MODE_ADD: 'EXPOSE_MODE_ADD',
  /**
   * host_nqns become the only hosts allowed; the others are removed
   */
  EXPOSE_MODE_REPLACE: 'EXPOSE_MODE_REPLACE',
  /**
   * host_nqns are no longer allowed (absent ones: nothing to do); the other hosts keep their
   * access and keys. Removing every host is refused: ReplicaUnexpose does that.
   */
  EXPOSE_MODE_REMOVE: 'EXPOSE_MODE_REMOVE',
} as const;

export type ExposeMode =
  | 'EXPOSE_MODE_UNSPECIFIED'
  | 0
  /**
   * host_nqns join the hosts the export already allows
   */
  | 'EXPOSE_MODE_ADD'
  | 1
  /**
   * host_nqns become the only hosts allowed; the others are removed
   */
  | 'EXPOSE_MODE_REPLACE'
  | 2
  /**
   * host_nqns are no longer allowed (absent ones: nothing to do); the other hosts keep their
   * access and keys. Removing every host is refused: ReplicaUnexpose does that.
   */
  | 'EXPOSE_MODE_REMOVE'
  | 3

export type ExposeMode__Output = typeof ExposeMode[keyof typeof ExposeMode]
