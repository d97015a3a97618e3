// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto

import type { FrontendKind as _spdk_conductor_v1_FrontendKind, FrontendKind__Output as _spdk_conductor_v1_FrontendKind__Output } from '../../../spdk/conductor/v1/FrontendKind.js';

export interface Frontend {
  'kind'?: (_spdk_conductor_v1_FrontendKind);
  'nqn'?: (string);
  'address'?: (string);
  'port'?: (number);
  'hostNqns'?: (string)[];
  'namespaceUuid'?: (string);
  'namespaceNguid'?: (string);
  /**
   * NVME_HOST: the block device this node sees
   */
  'device'?: (string);
  /**
   * the --ctrl-loss-tmo hosts must connect with
   */
  'recommendedCtrlLossTmoSec'?: (number);
  /**
   * EXPORT_ONLY: a ready-to-paste nvme connect line
   */
  'connectCommand'?: (string);
}

export interface Frontend__Output {
  'kind': (_spdk_conductor_v1_FrontendKind__Output);
  'nqn': (string);
  'address': (string);
  'port': (number);
  'hostNqns': (string)[];
  'namespaceUuid': (string);
  'namespaceNguid': (string);
  /**
   * NVME_HOST: the block device this node sees
   */
  'device': (string);
  /**
   * the --ctrl-loss-tmo hosts must connect with
   */
  'recommendedCtrlLossTmoSec': (number);
  /**
   * EXPORT_ONLY: a ready-to-paste nvme connect line
   */
  'connectCommand': (string);
}
