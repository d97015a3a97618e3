// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto

import type { BackupInfo as _spdk_conductor_v1_BackupInfo, BackupInfo__Output as _spdk_conductor_v1_BackupInfo__Output } from '../../../spdk/conductor/v1/BackupInfo.js';
import type { BackupJob as _spdk_conductor_v1_BackupJob, BackupJob__Output as _spdk_conductor_v1_BackupJob__Output } from '../../../spdk/conductor/v1/BackupJob.js';
import type { BackupSweep as _spdk_conductor_v1_BackupSweep, BackupSweep__Output as _spdk_conductor_v1_BackupSweep__Output } from '../../../spdk/conductor/v1/BackupSweep.js';

export interface BackupListResponse {
  'backups'?: (_spdk_conductor_v1_BackupInfo)[];
  'jobs'?: (_spdk_conductor_v1_BackupJob)[];
  /**
   * Volumes whose unreferenced blocks await a sweep this node recorded (a delete's deferred sweep,
   * a failed or cancelled backup's blocks); each goes once its sweep ran.
   */
  'sweeps'?: (_spdk_conductor_v1_BackupSweep)[];
}

export interface BackupListResponse__Output {
  'backups': (_spdk_conductor_v1_BackupInfo__Output)[];
  'jobs': (_spdk_conductor_v1_BackupJob__Output)[];
  /**
   * Volumes whose unreferenced blocks await a sweep this node recorded (a delete's deferred sweep,
   * a failed or cancelled backup's blocks); each goes once its sweep ran.
   */
  'sweeps': (_spdk_conductor_v1_BackupSweep__Output)[];
}
