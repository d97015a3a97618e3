// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface NodeObjectCounts {
  'disks'?: (number);
  'replicas'?: (number);
  'snapshots'?: (number);
  'exports'?: (number);
  'engines'?: (number);
  'rebuilds'?: (number);
}

export interface NodeObjectCounts__Output {
  'disks': (number);
  'replicas': (number);
  'snapshots': (number);
  'exports': (number);
  'engines': (number);
  'rebuilds': (number);
}
