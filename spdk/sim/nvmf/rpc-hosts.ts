/**
 * nvmf_subsystem_add_host and nvmf_subsystem_set_keys with their keys, in spdk_tgt v26.05's
 * order of checks (nvmf_rpc.c, subsystem.c spdk_nvmf_subsystem_add_host_ext / _set_keys, tcp.c
 * nvmf_tcp_subsystem_add_host; transcript 18): key names are looked up in the keyring before
 * the host is checked (-32602), the host's own rules and the TCP transport's PSK fail -32603.
 * A host entry holds one keyring reference per key until it is removed or its keys replaced.
 */
import { SimRpcError } from '../core/contract.js';
import { NVMF_INVALID_PARAMS } from '../fabric/decode.js';
import { EINVAL, strerror } from '../fabric/errno.js';
import type { SimKey } from '../keyring/keyring.js';
import { parsePsk } from '../keyring/secrets.js';
import type { NvmfModule } from './index.js';
import { nqnIsValid } from './names.js';
import type { HostKeys, Subsystem } from './subsystem.js';
import { DEFAULT_TGT } from './rpc.js';

const internal = (message = 'Internal error') => new SimRpcError(-32603, message);
const invalidParams = () => new SimRpcError(NVMF_INVALID_PARAMS.code, NVMF_INVALID_PARAMS.message);

/** Looks up the DH-HMAC-CHAP keys the params name; -32602 for a name the keyring lacks. */
function lookUpChapKeys(nvmf: NvmfModule, sub: Subsystem, p: Record<string, unknown>): { key: SimKey | null; ckey: SimKey | null } {
  const keyring = nvmf.keyring;
  const lookUp = (field: 'dhchap_key' | 'dhchap_ctrlr_key'): SimKey | null => {
    const name = p[field] as string | undefined;
    if (name === undefined) return null;
    const key = keyring.get(name);
    if (!key) {
      nvmf.log('nvmf_host_key_not_found', { subnqn: sub.nqn, field, key: name });
      throw invalidParams();
    }
    return key;
  };
  const key = lookUp('dhchap_key');
  try {
    return { key, ckey: lookUp('dhchap_ctrlr_key') };
  } catch (err) {
    keyring.put(key);
    throw err;
  }
}

export function addHost(nvmf: NvmfModule, p: Record<string, unknown>): true {
  if (p.tgt_name !== undefined && p.tgt_name !== DEFAULT_TGT) throw internal('Unable to find a target.');
  const sub = nvmf.subsystems.get(p.nqn as string);
  if (!sub) throw invalidParams();
  const { key, ckey } = lookUpChapKeys(nvmf, sub, p);
  const keyring = nvmf.keyring;
  const host = p.host as string;
  const refuse = (reason: string): never => {
    keyring.put(key);
    keyring.put(ckey);
    nvmf.log('nvmf_add_host_failed', { subnqn: sub.nqn, hostnqn: host, reason });
    throw internal();
  };
  if (!nqnIsValid(host)) return refuse('invalid host NQN');
  if (sub.hosts.includes(host)) return refuse('host already allowed');
  if (key === null && ckey !== null) return refuse('DH-HMAC-CHAP controller key requires host key to be set');

  const keys: HostKeys = { dhchapKey: key, dhchapCtrlrKey: ckey, psk: null };
  // The TCP transport takes the PSK (a keyring name) and parses it now; only when it exists.
  if (nvmf.transport && p.psk !== undefined) {
    const pskName = p.psk;
    const pskKey = typeof pskName === 'string' ? keyring.get(pskName) : null;
    const read = pskKey ? keyring.read(pskKey) : null;
    const secret = read !== null && 'content' in read ? parsePsk(read.content) : null;
    if (!pskKey || !secret) {
      keyring.put(pskKey);
      return refuse(!pskKey ? `PSK key ${String(pskName)} does not exist` : 'Failed to parse PSK interchange');
    }
    keys.psk = { key: pskKey, secret };
  }
  sub.hosts.unshift(host);
  if (key || ckey || keys.psk) sub.hostKeys.set(host, keys);
  nvmf.log('nvmf_host_added', {
    subnqn: sub.nqn,
    hostnqn: host,
    dhchapKey: key?.name,
    dhchapCtrlrKey: ckey?.name,
    psk: keys.psk?.key.name,
    reason: 'nvmf_subsystem_add_host',
  });
  return true;
}

/**
 * spdk_nvmf_subsystem_set_keys: both keys are replaced (one not given is cleared); controllers
 * already connected keep their session until they authenticate again.
 */
export function setKeys(nvmf: NvmfModule, p: Record<string, unknown>): true {
  if (p.tgt_name !== undefined && p.tgt_name !== DEFAULT_TGT) throw internal('Invalid parameters');
  const sub = nvmf.subsystems.get(p.nqn as string);
  if (!sub) throw invalidParams();
  const { key, ckey } = lookUpChapKeys(nvmf, sub, p);
  const keyring = nvmf.keyring;
  const host = p.host as string;
  if (!sub.hosts.includes(host) || (key === null && ckey !== null)) {
    keyring.put(key);
    keyring.put(ckey);
    nvmf.log('nvmf_set_keys_failed', { subnqn: sub.nqn, hostnqn: host, reason: sub.hosts.includes(host) ? 'controller key without host key' : 'host not allowed' });
    throw new SimRpcError(-EINVAL, strerror(EINVAL));
  }
  const keys = sub.hostKeys.get(host) ?? { dhchapKey: null, dhchapCtrlrKey: null, psk: null };
  keyring.put(keys.dhchapKey);
  keyring.put(keys.dhchapCtrlrKey);
  keys.dhchapKey = key;
  keys.dhchapCtrlrKey = ckey;
  if (keys.dhchapKey || keys.dhchapCtrlrKey || keys.psk) sub.hostKeys.set(host, keys);
  else sub.hostKeys.delete(host);
  nvmf.log('nvmf_host_keys_set', { subnqn: sub.nqn, hostnqn: host, dhchapKey: key?.name, dhchapCtrlrKey: ckey?.name, reason: 'nvmf_subsystem_set_keys' });
  return true;
}
