// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


export interface RebuildThrottle {
  'engaged'?: (boolean);
  /**
   * the bandwidth rebuild processes start with now (0: unlimited)
   */
  'limitMbSec'?: (number);
  /**
   * which reading crossed which threshold, or why it was released
   */
  'reason'?: (string);
}

export interface RebuildThrottle__Output {
  'engaged': (boolean);
  /**
   * the bandwidth rebuild processes start with now (0: unlimited)
   */
  'limitMbSec': (number);
  /**
   * which reading crossed which threshold, or why it was released
   */
  'reason': (string);
}
