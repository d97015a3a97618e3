import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { BackupCancelRequest as _spdk_conductor_v1_BackupCancelRequest, BackupCancelRequest__Output as _spdk_conductor_v1_BackupCancelRequest__Output } from './spdk/conductor/v1/BackupCancelRequest.js';
import type { BackupCreateRequest as _spdk_conductor_v1_BackupCreateRequest, BackupCreateRequest__Output as _spdk_conductor_v1_BackupCreateRequest__Output } from './spdk/conductor/v1/BackupCreateRequest.js';
import type { BackupDeleteRequest as _spdk_conductor_v1_BackupDeleteRequest, BackupDeleteRequest__Output as _spdk_conductor_v1_BackupDeleteRequest__Output } from './spdk/conductor/v1/BackupDeleteRequest.js';
import type { BackupDeleteResponse as _spdk_conductor_v1_BackupDeleteResponse, BackupDeleteResponse__Output as _spdk_conductor_v1_BackupDeleteResponse__Output } from './spdk/conductor/v1/BackupDeleteResponse.js';
import type { BackupGetRequest as _spdk_conductor_v1_BackupGetRequest, BackupGetRequest__Output as _spdk_conductor_v1_BackupGetRequest__Output } from './spdk/conductor/v1/BackupGetRequest.js';
import type { BackupInfo as _spdk_conductor_v1_BackupInfo, BackupInfo__Output as _spdk_conductor_v1_BackupInfo__Output } from './spdk/conductor/v1/BackupInfo.js';
import type { BackupJob as _spdk_conductor_v1_BackupJob, BackupJob__Output as _spdk_conductor_v1_BackupJob__Output } from './spdk/conductor/v1/BackupJob.js';
import type { BackupJobEvent as _spdk_conductor_v1_BackupJobEvent, BackupJobEvent__Output as _spdk_conductor_v1_BackupJobEvent__Output } from './spdk/conductor/v1/BackupJobEvent.js';
import type { BackupListRequest as _spdk_conductor_v1_BackupListRequest, BackupListRequest__Output as _spdk_conductor_v1_BackupListRequest__Output } from './spdk/conductor/v1/BackupListRequest.js';
import type { BackupListResponse as _spdk_conductor_v1_BackupListResponse, BackupListResponse__Output as _spdk_conductor_v1_BackupListResponse__Output } from './spdk/conductor/v1/BackupListResponse.js';
import type { BackupSweep as _spdk_conductor_v1_BackupSweep, BackupSweep__Output as _spdk_conductor_v1_BackupSweep__Output } from './spdk/conductor/v1/BackupSweep.js';
import type { BackupTarget as _spdk_conductor_v1_BackupTarget, BackupTarget__Output as _spdk_conductor_v1_BackupTarget__Output } from './spdk/conductor/v1/BackupTarget.js';
import type { BackupTargetGetRequest as _spdk_conductor_v1_BackupTargetGetRequest, BackupTargetGetRequest__Output as _spdk_conductor_v1_BackupTargetGetRequest__Output } from './spdk/conductor/v1/BackupTargetGetRequest.js';
import type { BackupWatchRequest as _spdk_conductor_v1_BackupWatchRequest, BackupWatchRequest__Output as _spdk_conductor_v1_BackupWatchRequest__Output } from './spdk/conductor/v1/BackupWatchRequest.js';
import type { BackupsClient as _spdk_conductor_v1_BackupsClient, BackupsDefinition as _spdk_conductor_v1_BackupsDefinition } from './spdk/conductor/v1/Backups.js';
import type { RestoreCreateRequest as _spdk_conductor_v1_RestoreCreateRequest, RestoreCreateRequest__Output as _spdk_conductor_v1_RestoreCreateRequest__Output } from './spdk/conductor/v1/RestoreCreateRequest.js';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  spdk: {
    conductor: {
      v1: {
        BackupCancelRequest: MessageTypeDefinition<_spdk_conductor_v1_BackupCancelRequest, _spdk_conductor_v1_BackupCancelRequest__Output>
        BackupCreateRequest: MessageTypeDefinition<_spdk_conductor_v1_BackupCreateRequest, _spdk_conductor_v1_BackupCreateRequest__Output>
        BackupDeleteRequest: MessageTypeDefinition<_spdk_conductor_v1_BackupDeleteRequest, _spdk_conductor_v1_BackupDeleteRequest__Output>
        BackupDeleteResponse: MessageTypeDefinition<_spdk_conductor_v1_BackupDeleteResponse, _spdk_conductor_v1_BackupDeleteResponse__Output>
        BackupGetRequest: MessageTypeDefinition<_spdk_conductor_v1_BackupGetRequest, _spdk_conductor_v1_BackupGetRequest__Output>
        BackupInfo: MessageTypeDefinition<_spdk_conductor_v1_BackupInfo, _spdk_conductor_v1_BackupInfo__Output>
        BackupJob: MessageTypeDefinition<_spdk_conductor_v1_BackupJob, _spdk_conductor_v1_BackupJob__Output>
        BackupJobEvent: MessageTypeDefinition<_spdk_conductor_v1_BackupJobEvent, _spdk_conductor_v1_BackupJobEvent__Output>
        BackupJobState: EnumTypeDefinition
        BackupListRequest: MessageTypeDefinition<_spdk_conductor_v1_BackupListRequest, _spdk_conductor_v1_BackupListRequest__Output>
        BackupListResponse: MessageTypeDefinition<_spdk_conductor_v1_BackupListResponse, _spdk_conductor_v1_BackupListResponse__Output>
        BackupSweep: MessageTypeDefinition<_spdk_conductor_v1_BackupSweep, _spdk_conductor_v1_BackupSweep__Output>
        BackupTarget: MessageTypeDefinition<_spdk_conductor_v1_BackupTarget, _spdk_conductor_v1_BackupTarget__Output>
        BackupTargetGetRequest: MessageTypeDefinition<_spdk_conductor_v1_BackupTargetGetRequest, _spdk_conductor_v1_BackupTargetGetRequest__Output>
        BackupWatchRequest: MessageTypeDefinition<_spdk_conductor_v1_BackupWatchRequest, _spdk_conductor_v1_BackupWatchRequest__Output>
        Backups: SubtypeConstructor<typeof grpc.Client, _spdk_conductor_v1_BackupsClient> & { service: _spdk_conductor_v1_BackupsDefinition }
        RestoreCreateRequest: MessageTypeDefinition<_spdk_conductor_v1_RestoreCreateRequest, _spdk_conductor_v1_RestoreCreateRequest__Output>
      }
    }
  }
}

