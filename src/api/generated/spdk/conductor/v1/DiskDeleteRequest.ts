// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface DiskDeleteRequest {
  'name'?: (string);
  'wipe'?: (boolean);
  /**
   * also under members of local engines (they fault)
   */
  'force'?: (boolean);
}

export interface DiskDeleteRequest__Output {
  'name': (string);
  'wipe': (boolean);
  /**
   * also under members of local engines (they fault)
   */
  'force': (boolean);
}
