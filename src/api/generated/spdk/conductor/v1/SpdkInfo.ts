// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface SpdkInfo {
  /**
   * spdk_get_version's "version", e.g. "SPDK v26.05"
   */
  'version'?: (string);
  /**
   * set when spdk_tgt is spdk-conductor's simulator
   */
  'simulatorName'?: (string);
  'simulatorVersion'?: (string);
  /**
   * sorted
   */
  'methods'?: (string)[];
}

export interface SpdkInfo__Output {
  /**
   * spdk_get_version's "version", e.g. "SPDK v26.05"
   */
  'version': (string);
  /**
   * set when spdk_tgt is spdk-conductor's simulator
   */
  'simulatorName': (string);
  'simulatorVersion': (string);
  /**
   * sorted
   */
  'methods': (string)[];
}
