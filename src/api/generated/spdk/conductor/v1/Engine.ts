// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { EngineState as _spdk_conductor_v1_EngineState, EngineState__Output as _spdk_conductor_v1_EngineState__Output } from '../../../spdk/conductor/v1/EngineState.js';
import type { EngineMember as _spdk_conductor_v1_EngineMember, EngineMember__Output as _spdk_conductor_v1_EngineMember__Output } from '../../../spdk/conductor/v1/EngineMember.js';
import type { Frontend as _spdk_conductor_v1_Frontend, Frontend__Output as _spdk_conductor_v1_Frontend__Output } from '../../../spdk/conductor/v1/Frontend.js';
import type { RebuildProgress as _spdk_conductor_v1_RebuildProgress, RebuildProgress__Output as _spdk_conductor_v1_RebuildProgress__Output } from '../../../spdk/conductor/v1/RebuildProgress.js';
import type { Rebuild as _spdk_conductor_v1_Rebuild, Rebuild__Output as _spdk_conductor_v1_Rebuild__Output } from '../../../spdk/conductor/v1/Rebuild.js';
import type { EngineQos as _spdk_conductor_v1_EngineQos, EngineQos__Output as _spdk_conductor_v1_EngineQos__Output } from '../../../spdk/conductor/v1/EngineQos.js';
import type { EngineExpansion as _spdk_conductor_v1_EngineExpansion, EngineExpansion__Output as _spdk_conductor_v1_EngineExpansion__Output } from '../../../spdk/conductor/v1/EngineExpansion.js';
import type { VolumeIo as _spdk_conductor_v1_VolumeIo, VolumeIo__Output as _spdk_conductor_v1_VolumeIo__Output } from '../../../spdk/conductor/v1/VolumeIo.js';
import type { EngineRevert as _spdk_conductor_v1_EngineRevert, EngineRevert__Output as _spdk_conductor_v1_EngineRevert__Output } from '../../../spdk/conductor/v1/EngineRevert.js';
import type { EngineSalvage as _spdk_conductor_v1_EngineSalvage, EngineSalvage__Output as _spdk_conductor_v1_EngineSalvage__Output } from '../../../spdk/conductor/v1/EngineSalvage.js';
import type { Long } from '@grpc/proto-loader';

export interface Engine {
  'name'?: (string);
  'sizeBytes'?: (number | string | Long);
  'state'?: (_spdk_conductor_v1_EngineState);
  'reason'?: (string);
  'raidName'?: (string);
  'members'?: (_spdk_conductor_v1_EngineMember)[];
  'frontend'?: (_spdk_conductor_v1_Frontend | null);
  /**
   * SPDK's raid rebuild process; unset when none runs
   */
  'rebuild'?: (_spdk_conductor_v1_RebuildProgress | null);
  /**
   * this engine's rebuilds that are queued or running
   */
  'rebuilds'?: (_spdk_conductor_v1_Rebuild)[];
  /**
   * Its raid keeps a superblock on the members, so examine re-assembles it after spdk_tgt restarts
   * and knows which members were in sync. False for engines made before superblocks, or over
   * members with no room for one beyond the volume size; the node makes those again from its record.
   */
  'superblock'?: (boolean);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale'?: (boolean);
  'staleReason'?: (string);
  /**
   * the limits in force; unset when none
   */
  'qos'?: (_spdk_conductor_v1_EngineQos | null);
  /**
   * an expansion recorded and not finished; unset when none
   */
  'expansion'?: (_spdk_conductor_v1_EngineExpansion | null);
  /**
   * EngineGet: the last reading of the volume's I/O; unset before one
   */
  'io'?: (_spdk_conductor_v1_VolumeIo | null);
  /**
   * a volume snapshot revert recorded and not finished; unset when none
   */
  'revert'?: (_spdk_conductor_v1_EngineRevert | null);
  /**
   * made over members that held data: the source chosen and why; unset otherwise
   */
  'salvage'?: (_spdk_conductor_v1_EngineSalvage | null);
}

export interface Engine__Output {
  'name': (string);
  'sizeBytes': (number);
  'state': (_spdk_conductor_v1_EngineState__Output);
  'reason': (string);
  'raidName': (string);
  'members': (_spdk_conductor_v1_EngineMember__Output)[];
  'frontend': (_spdk_conductor_v1_Frontend__Output | null);
  /**
   * SPDK's raid rebuild process; unset when none runs
   */
  'rebuild': (_spdk_conductor_v1_RebuildProgress__Output | null);
  /**
   * this engine's rebuilds that are queued or running
   */
  'rebuilds': (_spdk_conductor_v1_Rebuild__Output)[];
  /**
   * Its raid keeps a superblock on the members, so examine re-assembles it after spdk_tgt restarts
   * and knows which members were in sync. False for engines made before superblocks, or over
   * members with no room for one beyond the volume size; the node makes those again from its record.
   */
  'superblock': (boolean);
  /**
   * Set when this answer comes from what the service last read and spdk_tgt may differ now
   * (spdk_tgt unreachable, or restarted and not yet read again); stale_reason says why.
   */
  'stale': (boolean);
  'staleReason': (string);
  /**
   * the limits in force; unset when none
   */
  'qos': (_spdk_conductor_v1_EngineQos__Output | null);
  /**
   * an expansion recorded and not finished; unset when none
   */
  'expansion': (_spdk_conductor_v1_EngineExpansion__Output | null);
  /**
   * EngineGet: the last reading of the volume's I/O; unset before one
   */
  'io': (_spdk_conductor_v1_VolumeIo__Output | null);
  /**
   * a volume snapshot revert recorded and not finished; unset when none
   */
  'revert': (_spdk_conductor_v1_EngineRevert__Output | null);
  /**
   * made over members that held data: the source chosen and why; unset otherwise
   */
  'salvage': (_spdk_conductor_v1_EngineSalvage__Output | null);
}
