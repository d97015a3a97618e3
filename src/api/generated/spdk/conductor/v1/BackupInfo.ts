// Original file: rpc-schemas/proto/spdk/conductor/v1/backup.proto

import type { Long } from '@grpc/proto-loader';

export interface BackupInfo {
  'id'?: (string);
  'volume'?: (string);
  'replica'?: (string);
  'snapshot'?: (string);
  'sizeBytes'?: (number | string | Long);
  'blockCount'?: (number | string | Long);
  'labels'?: ({[key: string]: string});
  'createdAt'?: (string);
}

export interface BackupInfo__Output {
  'id': (string);
  'volume': (string);
  'replica': (string);
  'snapshot': (string);
  'sizeBytes': (number);
  'blockCount': (number);
  'labels': ({[key: string]: string});
  'createdAt': (string);
}
