// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto

import type { HostAuth as _spdk_conductor_v1_HostAuth, HostAuth__Output as _spdk_conductor_v1_HostAuth__Output } from '../../../spdk/conductor/v1/HostAuth.js';

export interface ExportInfo {
  'nqn'?: (string);
  'address'?: (string);
  'port'?: (number);
  'hostNqns'?: (string)[];
  'namespaceUuid'?: (string);
  'namespaceNguid'?: (string);
  /**
   * per host, what it must do to connect; never a key
   */
  'hostAuth'?: (_spdk_conductor_v1_HostAuth)[];
  /**
   * the listener requires TLS
   */
  'secureChannel'?: (boolean);
}

export interface ExportInfo__Output {
  'nqn': (string);
  'address': (string);
  'port': (number);
  'hostNqns': (string)[];
  'namespaceUuid': (string);
  'namespaceNguid': (string);
  /**
   * per host, what it must do to connect; never a key
   */
  'hostAuth': (_spdk_conductor_v1_HostAuth__Output)[];
  /**
   * the listener requires TLS
   */
  'secureChannel': (boolean);
}
