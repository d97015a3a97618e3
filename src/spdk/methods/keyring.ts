/**
 * keyring_*: spdk_tgt's keyring of named secrets, which DH-HMAC-CHAP and TLS PSK params refer to
 * by name. Contracts: rpc-schemas/spdk/keyring_*.json. Behaviour recorded in transcript 18.
 */

import type { CallOptions, SpdkCaller } from '../call.js';

export interface KeyringFileKeyParams {
  name: string;
  /**
   * Absolute, owned by spdk_tgt's user, mode 0600: otherwise -1 "Operation not permitted"; a
   * missing file is -2. spdk_tgt reads the file again each time the key is used, never at add.
   */
  path: string;
}

export interface KeyringKey {
  name: string;
  module: string;
  /** Removed while in use: listed until its last user lets go, and its file is still read. */
  removed: boolean;
  probed: boolean;
  refcnt: number;
  path?: string;
}

export class KeyringMethods {
  constructor(private readonly caller: SpdkCaller) {}

  /** Adds a key read from a file. A name already in the keyring is -17 "File exists". */
  addFileKey(params: KeyringFileKeyParams, options?: CallOptions): Promise<boolean> {
    return this.caller.call('keyring_file_add_key', params, options);
  }

  /**
   * Removes a key: `true` also while it is in use (it then stays listed with `removed: true`
   * until released); a name not in the keyring is -126 "Required key not available".
   */
  removeFileKey(params: { name: string }, options?: CallOptions): Promise<boolean> {
    return this.caller.call('keyring_file_remove_key', params, options);
  }

  getKeys(options?: CallOptions): Promise<KeyringKey[]> {
    return this.caller.call('keyring_get_keys', undefined, options);
  }
}
