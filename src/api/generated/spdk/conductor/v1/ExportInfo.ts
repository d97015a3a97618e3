// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface ExportInfo {
  'nqn'?: (string);
  'address'?: (string);
  'port'?: (number);
  'hostNqns'?: (string)[];
  'namespaceUuid'?: (string);
  'namespaceNguid'?: (string);
}

export interface ExportInfo__Output {
  'nqn': (string);
  'address': (string);
  'port': (number);
  'hostNqns': (string)[];
  'namespaceUuid': (string);
  'namespaceNguid': (string);
}
