// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SpdkCallRequest {
  'method'?: (string);
  /**
   * a JSON object, or empty for no params
   */
  'paramsJson'?: (string);
  /**
   * also run a method that may change spdk_tgt's state
   */
  'allowMutating'?: (boolean);
}

export interface SpdkCallRequest__Output {
  'method': (string);
  /**
   * a JSON object, or empty for no params
   */
  'paramsJson': (string);
  /**
   * also run a method that may change spdk_tgt's state
   */
  'allowMutating': (boolean);
}
