// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


export interface NodeInfo {
  /**
   * the NQN this node's bdev_nvme presents when it attaches targets
   */
  'hostNqn'?: (string);
  'spdkVersion'?: (string);
  'simulator'?: (boolean);
  /**
   * spdk_tgt has bdev_lvol_start_shallow_copy and its check
   */
  'shallowCopy'?: (boolean);
  'exportAddress'?: (string);
  /**
   * spdk-conductor's version
   */
  'version'?: (string);
  /**
   * How the API's TCP listener is secured: "mtls" (TLS, client certificate required), "insecure"
   * (api.tcpInsecure: anyone who reaches the port may call) or "off" (Unix socket only).
   */
  'apiTcpSecurity'?: (string);
  'apiTcpClientCertRequired'?: (boolean);
  /**
   * When the certificate the TCP API presents expires (api.tls.cert's notAfter, of the one in use
   * after any rotation), RFC 3339 UTC; empty without TLS.
   */
  'apiTcpCertificateNotAfter'?: (string);
  /**
   * spdk_tgt's nvmf max_subsystems that admission counts against (the discovery subsystem
   * included), and where it came from: "spdk_tgt" (framework_get_config nvmf), "config"
   * (spdk.maxSubsystems) or "default" (1024: spdk_tgt could not tell).
   */
  'maxSubsystems'?: (number);
  'maxSubsystemsSource'?: (string);
  /**
   * How spdk_tgt's reactors run, as the last resource sample read them (framework_get_reactors'
   * in_interrupt): "polling" (each busy-polls its core), "interrupt" (each sleeps on epoll:
   * spdk_tgt --interrupt-mode), "mixed", or empty before a sample read them. In interrupt mode a
   * reactor's load (the rebuild throttle's, the metric reactor_busy_ratio) is its core's CPU share.
   */
  'reactorMode'?: (string);
}

export interface NodeInfo__Output {
  /**
   * the NQN this node's bdev_nvme presents when it attaches targets
   */
  'hostNqn': (string);
  'spdkVersion': (string);
  'simulator': (boolean);
  /**
   * spdk_tgt has bdev_lvol_start_shallow_copy and its check
   */
  'shallowCopy': (boolean);
  'exportAddress': (string);
  /**
   * spdk-conductor's version
   */
  'version': (string);
  /**
   * How the API's TCP listener is secured: "mtls" (TLS, client certificate required), "insecure"
   * (api.tcpInsecure: anyone who reaches the port may call) or "off" (Unix socket only).
   */
  'apiTcpSecurity': (string);
  'apiTcpClientCertRequired': (boolean);
  /**
   * When the certificate the TCP API presents expires (api.tls.cert's notAfter, of the one in use
   * after any rotation), RFC 3339 UTC; empty without TLS.
   */
  'apiTcpCertificateNotAfter': (string);
  /**
   * spdk_tgt's nvmf max_subsystems that admission counts against (the discovery subsystem
   * included), and where it came from: "spdk_tgt" (framework_get_config nvmf), "config"
   * (spdk.maxSubsystems) or "default" (1024: spdk_tgt could not tell).
   */
  'maxSubsystems': (number);
  'maxSubsystemsSource': (string);
  /**
   * How spdk_tgt's reactors run, as the last resource sample read them (framework_get_reactors'
   * in_interrupt): "polling" (each busy-polls its core), "interrupt" (each sleeps on epoll:
   * spdk_tgt --interrupt-mode), "mixed", or empty before a sample read them. In interrupt mode a
   * reactor's load (the rebuild throttle's, the metric reactor_busy_ratio) is its core's CPU share.
   */
  'reactorMode': (string);
}
