// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SnapshotShallowCopyRequest {
  'replicaName'?: (string);
  'snapshotName'?: (string);
  'targetAddress'?: (string);
  'targetPort'?: (number);
  'targetNqn'?: (string);
}

export interface SnapshotShallowCopyRequest__Output {
  'replicaName': (string);
  'snapshotName': (string);
  'targetAddress': (string);
  'targetPort': (number);
  'targetNqn': (string);
}
