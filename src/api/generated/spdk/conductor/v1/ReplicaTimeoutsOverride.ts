// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


/**
 * The engine's bdev_nvme side of the timeout budget; unset fields keep the node's value.
 */
export interface ReplicaTimeoutsOverride {
  'reconnectDelaySec'?: (number);
  'fastIoFailTimeoutSec'?: (number);
  /**
   * -1: reconnect forever, 0: never
   */
  'ctrlrLossTimeoutSec'?: (number);
  'keepAliveTimeoutMs'?: (number);
  'transportAckTimeout'?: (number);
  '_reconnectDelaySec'?: "reconnectDelaySec";
  '_fastIoFailTimeoutSec'?: "fastIoFailTimeoutSec";
  '_ctrlrLossTimeoutSec'?: "ctrlrLossTimeoutSec";
  '_keepAliveTimeoutMs'?: "keepAliveTimeoutMs";
  '_transportAckTimeout'?: "transportAckTimeout";
}

/**
 * The engine's bdev_nvme side of the timeout budget; unset fields keep the node's value.
 */
export interface ReplicaTimeoutsOverride__Output {
  'reconnectDelaySec'?: (number);
  'fastIoFailTimeoutSec'?: (number);
  /**
   * -1: reconnect forever, 0: never
   */
  'ctrlrLossTimeoutSec'?: (number);
  'keepAliveTimeoutMs'?: (number);
  'transportAckTimeout'?: (number);
  '_reconnectDelaySec'?: "reconnectDelaySec";
  '_fastIoFailTimeoutSec'?: "fastIoFailTimeoutSec";
  '_ctrlrLossTimeoutSec'?: "ctrlrLossTimeoutSec";
  '_keepAliveTimeoutMs'?: "keepAliveTimeoutMs";
  '_transportAckTimeout'?: "transportAckTimeout";
}
