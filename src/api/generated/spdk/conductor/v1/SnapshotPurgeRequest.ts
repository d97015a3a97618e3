// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SnapshotPurgeRequest {
  'replicaName'?: (string);
}

export interface SnapshotPurgeRequest__Output {
  'replicaName': (string);
}
