// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SnapshotListRequest {
  'replicaName'?: (string);
}

export interface SnapshotListRequest__Output {
  'replicaName': (string);
}
