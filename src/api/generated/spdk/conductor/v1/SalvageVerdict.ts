// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface SalvageVerdict {
  'replica'?: (string);
  /**
   * source, or rebuilt (from the source)
   */
  'verdict'?: (string);
  'reason'?: (string);
}

export interface SalvageVerdict__Output {
  'replica': (string);
  /**
   * source, or rebuilt (from the source)
   */
  'verdict': (string);
  'reason': (string);
}
