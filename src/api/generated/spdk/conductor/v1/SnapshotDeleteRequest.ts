// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SnapshotDeleteRequest {
  'replicaName'?: (string);
  'name'?: (string);
}

export interface SnapshotDeleteRequest__Output {
  'replicaName': (string);
  'name': (string);
}
