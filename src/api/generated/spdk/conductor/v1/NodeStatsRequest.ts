// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface NodeStatsRequest {
  /**
   * how many volumes to list by I/O rate (0: 5, at most 100)
   */
  'top'?: (number);
}

export interface NodeStatsRequest__Output {
  /**
   * how many volumes to list by I/O rate (0: 5, at most 100)
   */
  'top': (number);
}
