// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto

import type { BackupJobState as _spdk_conductor_v1_BackupJobState, BackupJobState__Output as _spdk_conductor_v1_BackupJobState__Output } from '../../../spdk/conductor/v1/BackupJobState.js';
import type { Long } from '@grpc/proto-loader';

export interface BackupJob {
  'id'?: (string);
  /**
   * "backup" or "restore".
   */
  'kind'?: (string);
  'volume'?: (string);
  /**
   * The source replica (backup) or the replica being made (restore).
   */
  'replica'?: (string);
  'snapshot'?: (string);
  'backupId'?: (string);
  'disk'?: (string);
  'state'?: (_spdk_conductor_v1_BackupJobState);
  'reason'?: (string);
  /**
   * The stable code of a failure ('' otherwise).
   */
  'errorCode'?: (string);
  'createdAt'?: (string);
  'updatedAt'?: (string);
  /**
   * When the job fails unless it moves on or makes progress; '' once over.
   */
  'deadlineAt'?: (string);
  'bytesDone'?: (number | string | Long);
  'bytesTotal'?: (number | string | Long);
  'blocksUploaded'?: (number | string | Long);
  'blocksSkipped'?: (number | string | Long);
  'bytesUploaded'?: (number | string | Long);
}

export interface BackupJob__Output {
  'id': (string);
  /**
   * "backup" or "restore".
   */
  'kind': (string);
  'volume': (string);
  /**
   * The source replica (backup) or the replica being made (restore).
   */
  'replica': (string);
  'snapshot': (string);
  'backupId': (string);
  'disk': (string);
  'state': (_spdk_conductor_v1_BackupJobState__Output);
  'reason': (string);
  /**
   * The stable code of a failure ('' otherwise).
   */
  'errorCode': (string);
  'createdAt': (string);
  'updatedAt': (string);
  /**
   * When the job fails unless it moves on or makes progress; '' once over.
   */
  'deadlineAt': (string);
  'bytesDone': (number);
  'bytesTotal': (number);
  'blocksUploaded': (number);
  'blocksSkipped': (number);
  'bytesUploaded': (number);
}
