// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


/**
 * The host's side of the timeout budget; unset fields keep the node's value.
 */
export interface HostTimeoutsOverride {
  'ctrlLossTmoSec'?: (number);
  'reconnectDelaySec'?: (number);
  'keepAliveTmoSec'?: (number);
  'ioTimeoutSec'?: (number);
  '_ctrlLossTmoSec'?: "ctrlLossTmoSec";
  '_reconnectDelaySec'?: "reconnectDelaySec";
  '_keepAliveTmoSec'?: "keepAliveTmoSec";
  '_ioTimeoutSec'?: "ioTimeoutSec";
}

/**
 * The host's side of the timeout budget; unset fields keep the node's value.
 */
export interface HostTimeoutsOverride__Output {
  'ctrlLossTmoSec'?: (number);
  'reconnectDelaySec'?: (number);
  'keepAliveTmoSec'?: (number);
  'ioTimeoutSec'?: (number);
  '_ctrlLossTmoSec'?: "ctrlLossTmoSec";
  '_reconnectDelaySec'?: "reconnectDelaySec";
  '_keepAliveTmoSec'?: "keepAliveTmoSec";
  '_ioTimeoutSec'?: "ioTimeoutSec";
}
