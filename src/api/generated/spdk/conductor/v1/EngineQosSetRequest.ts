// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { Long } from '@grpc/proto-loader';

export interface EngineQosSetRequest {
  'name'?: (string);
  /**
   * unset: keep; 0: unlimited
   */
  'rwIosPerSec'?: (number | string | Long);
  'rwMbytesPerSec'?: (number | string | Long);
  'rMbytesPerSec'?: (number | string | Long);
  'wMbytesPerSec'?: (number | string | Long);
  '_rwIosPerSec'?: "rwIosPerSec";
  '_rwMbytesPerSec'?: "rwMbytesPerSec";
  '_rMbytesPerSec'?: "rMbytesPerSec";
  '_wMbytesPerSec'?: "wMbytesPerSec";
}

export interface EngineQosSetRequest__Output {
  'name': (string);
  /**
   * unset: keep; 0: unlimited
   */
  'rwIosPerSec'?: (number);
  'rwMbytesPerSec'?: (number);
  'rMbytesPerSec'?: (number);
  'wMbytesPerSec'?: (number);
  '_rwIosPerSec'?: "rwIosPerSec";
  '_rwMbytesPerSec'?: "rwMbytesPerSec";
  '_rMbytesPerSec'?: "rMbytesPerSec";
  '_wMbytesPerSec'?: "wMbytesPerSec";
}
