// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface ReplicaListRequest {
  /**
   * empty: all disks
   */
  'diskName'?: (string);
  /**
   * Paging (every node-wide List): at most page_size objects in name order; 0 means the default
   * page of 200, and more than 500 is read as 500. page_token is the next_page_token of the
   * answer before (empty: from the start); the rest of the request must stay the same.
   */
  'pageSize'?: (number);
  'pageToken'?: (string);
}

export interface ReplicaListRequest__Output {
  /**
   * empty: all disks
   */
  'diskName': (string);
  /**
   * Paging (every node-wide List): at most page_size objects in name order; 0 means the default
   * page of 200, and more than 500 is read as 500. page_token is the next_page_token of the
   * answer before (empty: from the start); the rest of the request must stay the same.
   */
  'pageSize': (number);
  'pageToken': (string);
}
