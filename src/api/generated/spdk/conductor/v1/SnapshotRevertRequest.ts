// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SnapshotRevertRequest {
  'replicaName'?: (string);
  'name'?: (string);
}

export interface SnapshotRevertRequest__Output {
  'replicaName': (string);
  'name': (string);
}
