// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { VolumeIo as _spdk_conductor_v1_VolumeIo, VolumeIo__Output as _spdk_conductor_v1_VolumeIo__Output } from '../../../spdk/conductor/v1/VolumeIo.js';
import type { VolumeIoRates as _spdk_conductor_v1_VolumeIoRates, VolumeIoRates__Output as _spdk_conductor_v1_VolumeIoRates__Output } from '../../../spdk/conductor/v1/VolumeIoRates.js';

export interface EngineStatsResponse {
  'name'?: (string);
  /**
   * unset: not read yet
   */
  'io'?: (_spdk_conductor_v1_VolumeIo | null);
  'rates'?: (_spdk_conductor_v1_VolumeIoRates | null);
  /**
   * why there is no reading or no rate yet; empty when there are
   */
  'reason'?: (string);
}

export interface EngineStatsResponse__Output {
  'name': (string);
  /**
   * unset: not read yet
   */
  'io': (_spdk_conductor_v1_VolumeIo__Output | null);
  'rates': (_spdk_conductor_v1_VolumeIoRates__Output | null);
  /**
   * why there is no reading or no rate yet; empty when there are
   */
  'reason': (string);
}
