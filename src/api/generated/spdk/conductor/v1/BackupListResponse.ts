// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto

import type { BackupInfo as _spdk_conductor_v1_BackupInfo, BackupInfo__Output as _spdk_conductor_v1_BackupInfo__Output } from '../../../spdk/conductor/v1/BackupInfo.js';
import type { BackupJob as _spdk_conductor_v1_BackupJob, BackupJob__Output as _spdk_conductor_v1_BackupJob__Output } from '../../../spdk/conductor/v1/BackupJob.js';

export interface BackupListResponse {
  'backups'?: (_spdk_conductor_v1_BackupInfo)[];
  'jobs'?: (_spdk_conductor_v1_BackupJob)[];
}

export interface BackupListResponse__Output {
  'backups': (_spdk_conductor_v1_BackupInfo__Output)[];
  'jobs': (_spdk_conductor_v1_BackupJob__Output)[];
}
