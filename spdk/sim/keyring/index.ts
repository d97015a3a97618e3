/**
 * The keyring module: keyring_file_add_key, keyring_file_remove_key, keyring_get_keys
 * (module/keyring/file/keyring_rpc.c, lib/keyring/keyring_rpc.c; transcript 18). The nvmf target
 * and bdev_nvme take their DH-HMAC-CHAP keys and TLS PSKs from the one Keyring this module owns.
 */
import { SimRpcError, type SimModule, type SimTarget } from '../core/contract.js';
import { tableDecoder } from '../core/decode.js';
import { strerror } from '../core/errno.js';
import { Keyring } from './keyring.js';
import { KEYRING_VALIDATION } from './validation.js';

const fail = (rc: number) => new SimRpcError(rc, strerror(rc));

export class KeyringModule implements SimModule {
  readonly name = 'keyring';
  private ring: Keyring | null = null;

  get keyring(): Keyring {
    if (!this.ring) throw new Error('keyring module not installed');
    return this.ring;
  }

  install(target: SimTarget): void {
    const keyring = new Keyring((event, fields) => target.log(event, fields));
    this.ring = keyring;
    target.register('keyring_file_add_key', {
      decode: tableDecoder(KEYRING_VALIDATION, 'keyring_file_add_key'),
      handler: (params) => {
        const { name, path } = params as { name: string; path: string };
        const rc = keyring.add(name, path);
        if (rc !== 0) throw fail(rc);
        return true;
      },
    });
    target.register('keyring_file_remove_key', {
      decode: tableDecoder(KEYRING_VALIDATION, 'keyring_file_remove_key'),
      handler: (params) => {
        const rc = keyring.remove((params as { name: string }).name);
        if (rc !== 0) throw fail(rc);
        return true;
      },
    });
    // rpc_keyring_get_keys never looks at its params.
    target.register('keyring_get_keys', { decode: () => undefined, handler: () => keyring.toJson() });
    target.addConfigSource('keyring', () => keyring.configEntries());
  }
}

export const keyringModule = (): KeyringModule => new KeyringModule();
