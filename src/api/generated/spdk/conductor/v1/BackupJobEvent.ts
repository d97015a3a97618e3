// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto

import type { BackupJob as _spdk_conductor_v1_BackupJob, BackupJob__Output as _spdk_conductor_v1_BackupJob__Output } from '../../../spdk/conductor/v1/BackupJob.js';

// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto

export const _spdk_conductor_v1_BackupJobEvent_Type = {
  TYPE_UNSPECIFIED: 'TYPE_UNSPECIFIED',
  ADDED: 'ADDED',
  MODIFIED: 'MODIFIED',
  SYNCED: 'SYNCED',
} as const;

export type _spdk_conductor_v1_BackupJobEvent_Type =
  | 'TYPE_UNSPECIFIED'
  | 0
  | 'ADDED'
  | 1
  | 'MODIFIED'
  | 2
  | 'SYNCED'
  | 3

export type _spdk_conductor_v1_BackupJobEvent_Type__Output = typeof _spdk_conductor_v1_BackupJobEvent_Type[keyof typeof _spdk_conductor_v1_BackupJobEvent_Type]

export interface BackupJobEvent {
  'type'?: (_spdk_conductor_v1_BackupJobEvent_Type);
  'job'?: (_spdk_conductor_v1_BackupJob | null);
}

export interface BackupJobEvent__Output {
  'type': (_spdk_conductor_v1_BackupJobEvent_Type__Output);
  'job': (_spdk_conductor_v1_BackupJob__Output | null);
}
