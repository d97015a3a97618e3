// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


/**
 * Per second over the window between the last two readings.
 */
export interface VolumeIoRates {
  'readOpsPerSec'?: (number | string);
  'writeOpsPerSec'?: (number | string);
  'readBytesPerSec'?: (number | string);
  'writeBytesPerSec'?: (number | string);
  /**
   * mean latency of the reads in the window; 0 without reads
   */
  'readLatencyAvgSec'?: (number | string);
  'writeLatencyAvgSec'?: (number | string);
  /**
   * 0: not read twice yet (metrics.iostatPeriodMs)
   */
  'windowSec'?: (number | string);
}

/**
 * Per second over the window between the last two readings.
 */
export interface VolumeIoRates__Output {
  'readOpsPerSec': (number);
  'writeOpsPerSec': (number);
  'readBytesPerSec': (number);
  'writeBytesPerSec': (number);
  /**
   * mean latency of the reads in the window; 0 without reads
   */
  'readLatencyAvgSec': (number);
  'writeLatencyAvgSec': (number);
  /**
   * 0: not read twice yet (metrics.iostatPeriodMs)
   */
  'windowSec': (number);
}
