// Original file: rpc-schemas/proto/spdk/conductor/v1/engine.proto


/**
 * A replica exported by another node's service (its Replica.export).
 */
export interface RemoteReplica {
  /**
   * the replica's name, [a-z0-9][a-z0-9-]*, at most 48 characters
   */
  'name'?: (string);
  /**
   * IPv4 address or host name of its export
   */
  'address'?: (string);
  'port'?: (number);
  /**
   * its subsystem NQN
   */
  'nqn'?: (string);
  /**
   * host:port of the spdk-conductor API on the replica's node. Optional; without it a rebuild that
   * involves this replica cannot copy snapshots and uses SPDK's raid rebuild (RebuildPath says why).
   */
  'apiAddress'?: (string);
  /**
   * The keys this node attaches with when the replica's export requires them (the same secrets
   * its HostAccess was given, in the same formats); kept only in 0600 key files, never returned.
   */
  'dhchapKey'?: (string);
  'dhchapCtrlrKey'?: (string);
  'psk'?: (string);
}

/**
 * A replica exported by another node's service (its Replica.export).
 */
export interface RemoteReplica__Output {
  /**
   * the replica's name, [a-z0-9][a-z0-9-]*, at most 48 characters
   */
  'name': (string);
  /**
   * IPv4 address or host name of its export
   */
  'address': (string);
  'port': (number);
  /**
   * its subsystem NQN
   */
  'nqn': (string);
  /**
   * host:port of the spdk-conductor API on the replica's node. Optional; without it a rebuild that
   * involves this replica cannot copy snapshots and uses SPDK's raid rebuild (RebuildPath says why).
   */
  'apiAddress': (string);
  /**
   * The keys this node attaches with when the replica's export requires them (the same secrets
   * its HostAccess was given, in the same formats); kept only in 0600 key files, never returned.
   */
  'dhchapKey': (string);
  'dhchapCtrlrKey': (string);
  'psk': (string);
}
