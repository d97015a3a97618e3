// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SnapshotPurgeResponse {
  'deleted'?: (string)[];
}

export interface SnapshotPurgeResponse__Output {
  'deleted': (string)[];
}
