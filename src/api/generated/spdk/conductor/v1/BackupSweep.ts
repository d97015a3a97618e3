// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto


/**
 * A sweep of one volume's blocks that no manifest references, recorded in the state file until it
 * ran: at the end of each backup job of this node, at start, and every backup.sweepRetrySec.
 */
export interface BackupSweep {
  'volume'?: (string);
  /**
   * Why it was recorded (the first request).
   */
  'reason'?: (string);
  'since'?: (string);
  /**
   * Sweeps tried so far (deferred or failed ones included).
   */
  'attempts'?: (number);
  /**
   * '' before the first attempt.
   */
  'lastAttemptAt'?: (string);
  /**
   * What it waits for now: a backup of the volume on this node or in the target, or the target.
   */
  'waitingFor'?: (string);
  /**
   * The last attempt's error ('' when it did not fail).
   */
  'lastError'?: (string);
}

/**
 * A sweep of one volume's blocks that no manifest references, recorded in the state file until it
 * ran: at the end of each backup job of this node, at start, and every backup.sweepRetrySec.
 */
export interface BackupSweep__Output {
  'volume': (string);
  /**
   * Why it was recorded (the first request).
   */
  'reason': (string);
  'since': (string);
  /**
   * Sweeps tried so far (deferred or failed ones included).
   */
  'attempts': (number);
  /**
   * '' before the first attempt.
   */
  'lastAttemptAt': (string);
  /**
   * What it waits for now: a backup of the volume on this node or in the target, or the target.
   */
  'waitingFor': (string);
  /**
   * The last attempt's error ('' when it did not fail).
   */
  'lastError': (string);
}
