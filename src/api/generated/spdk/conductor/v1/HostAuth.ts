// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


/**
 * What a host must do to connect to an export.
 */
export interface HostAuth {
  'nqn'?: (string);
  /**
   * DH-HMAC-CHAP required
   */
  'dhchap'?: (boolean);
  /**
   * the controller authenticates too
   */
  'dhchapBidirectional'?: (boolean);
  /**
   * TLS with a pre-shared key
   */
  'tls'?: (boolean);
}

/**
 * What a host must do to connect to an export.
 */
export interface HostAuth__Output {
  'nqn': (string);
  /**
   * DH-HMAC-CHAP required
   */
  'dhchap': (boolean);
  /**
   * the controller authenticates too
   */
  'dhchapBidirectional': (boolean);
  /**
   * TLS with a pre-shared key
   */
  'tls': (boolean);
}
