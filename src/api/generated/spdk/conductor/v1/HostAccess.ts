// Original file: rpc-schemas/proto/spdk/conductor/v1/node.proto


/**
 * A host allowed to reach an export, with the secrets it must prove (DH-HMAC-CHAP) or share
 * (TLS). Secrets are in their interchange formats, as nvme gen-dhchap-key / gen-tls-key print
 * them: DHHC-1:<hh>:<base64>: and NVMeTLSkey-1:<hh>:<base64>: (format and CRC-32 are checked).
 * The service keeps them only in 0600 key files for spdk_tgt's keyring and never returns them.
 */
export interface HostAccess {
  'nqn'?: (string);
  /**
   * DH-HMAC-CHAP: the host authenticates with this key
   */
  'dhchapKey'?: (string);
  /**
   * bidirectional: the controller authenticates with this one (needs dhchap_key)
   */
  'dhchapCtrlrKey'?: (string);
  /**
   * TLS PSK; an export is TLS for all its hosts or for none
   */
  'psk'?: (string);
}

/**
 * A host allowed to reach an export, with the secrets it must prove (DH-HMAC-CHAP) or share
 * (TLS). Secrets are in their interchange formats, as nvme gen-dhchap-key / gen-tls-key print
 * them: DHHC-1:<hh>:<base64>: and NVMeTLSkey-1:<hh>:<base64>: (format and CRC-32 are checked).
 * The service keeps them only in 0600 key files for spdk_tgt's keyring and never returns them.
 */
export interface HostAccess__Output {
  'nqn': (string);
  /**
   * DH-HMAC-CHAP: the host authenticates with this key
   */
  'dhchapKey': (string);
  /**
   * bidirectional: the controller authenticates with this one (needs dhchap_key)
   */
  'dhchapCtrlrKey': (string);
  /**
   * TLS PSK; an export is TLS for all its hosts or for none
   */
  'psk': (string);
}
