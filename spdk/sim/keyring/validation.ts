/**
 * How the keyring_file methods validate their params in spdk_tgt v26.05
 * (module/keyring/file/keyring_rpc.c): their decoder tables, a decode failure answered -32602
 * with strerror(EINVAL); add_key decodes relaxed. Their checks (the key name's module prefix, a
 * name taken, the file's path, mode and owner) come after the keyring is looked up, in
 * keyring/keyring.ts. keyring_get_keys never reads its params.
 */
import type { ParamSpec, ValidationTable } from '../core/decode.js';
import { errno, strerror } from '../core/errno.js';
import { INVALID_PARAMS } from '../core/rpc-request.js';

const ADD_KEY: ParamSpec[] = [
  { name: 'name', type: 'string', required: true },
  { name: 'path', type: 'string', required: true },
];
const REMOVE_KEY: ParamSpec[] = [{ name: 'name', type: 'string', required: true }];

const KEYRING_DECODE_FAILED = { code: INVALID_PARAMS, message: strerror(errno.EINVAL) };

export const KEYRING_VALIDATION: ValidationTable = {
  keyring_file_add_key: { specs: ADD_KEY, failure: KEYRING_DECODE_FAILED, relaxed: true },
  keyring_file_remove_key: { specs: REMOVE_KEY, failure: KEYRING_DECODE_FAILED },
};
