// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SpdkCallResponse {
  /**
   * spdk_tgt's "result", as JSON
   */
  'resultJson'?: (string);
}

export interface SpdkCallResponse__Output {
  /**
   * spdk_tgt's "result", as JSON
   */
  'resultJson': (string);
}
