/**
 * bdev_nvme_* methods with spdk_tgt v26.05's decoding (-32603 "spdk_json_decode_object failed")
 * and checks in its order (bdev_nvme_rpc.c, bdev_nvme.c; transcripts 01, 08, 14, 15): the
 * same-name checks, then the duplicate path (-17), then the timeout rules (-22), then DMA for the
 * qpairs (-19), then the fabric connect (-5).
 */
import { SimRpcError, type SimTarget } from '../core/contract.js';
import { tableDecoder } from '../core/decode.js';
import { DECODE_FAILED, record } from '../fabric/decode.js';
import { DHGROUPS, DIGESTS } from '../fabric/auth.js';
import { EACCES, EALREADY, EEXIST, EINVAL, EIO, ENODEV, ENOKEY, EPERM, strerror } from '../fabric/errno.js';
import { FabricStatus } from '../fabric/protocol.js';
import type { SimKey } from '../keyring/keyring.js';
import { parsePsk } from '../keyring/secrets.js';
import type { PathTimeouts, TransportId } from './controller.js';
import { HostCredentials } from './credentials.js';
import type { ConnectFailed } from './qpair.js';
import { NvmeBdev, RR_MIN_IO_DEFAULT, type MultipathPolicy, type MultipathSelector } from './bdev.js';
import { CONNECT_TIMEOUT_MS, type NvmeModule } from './index.js';
import { NVME_VALIDATION } from './validation.js';

/** What the decoder leaves in rr_min_io when it is not given. */
const UINT32_MAX = 0xffffffff;

/** SPDK_CONTROLLER_NAME_MAX */
const NAME_MAX = 1024;
/** What a successful attach costs in spdk_tgt (admin queue, identify, I/O qpair): 65-95 ms. */
export const ATTACH_MS = 60;
/** A refused fabric CONNECT answers in ~15-20 ms. */
export const ATTACH_FAILURE_MS = 15;
/** Transcript 18: a successful DH-HMAC-CHAP attach (ffdhe4096) took 350-550 ms, a TLS one ~300 ms. */
export const ATTACH_AUTH_MS = 350;
export const ATTACH_TLS_MS = 300;
/** A failed DH-HMAC-CHAP exchange answers in ~150 ms; "missing key" (no exchange) in ~30 ms. */
export const AUTH_FAILURE_MS = 150;
export const AUTH_MISSING_MS = 30;

/** How long a failed attach takes to answer, by why the connect failed. */
function failureMs(e: unknown): number {
  const status = (e as Partial<ConnectFailed>).status;
  if (status === FabricStatus.AUTH_FAILED) return AUTH_FAILURE_MS;
  if (status === FabricStatus.AUTH_REQUIRED) return AUTH_MISSING_MS;
  return ATTACH_FAILURE_MS;
}

/**
 * Takes a keyring reference for each key the params name, in `fields` order, as
 * spdk_bdev_nvme_create and bdev_nvme_set_keys look them up: -126 (no reference kept) for a name
 * the keyring lacks.
 */
function takeKeys<F extends string>(nvme: NvmeModule, p: Record<string, unknown>, fields: readonly F[]): Record<F, SimKey | null> {
  const taken = {} as Record<F, SimKey | null>;
  for (const field of fields) {
    const name = p[field] as string | undefined;
    const key = name === undefined ? null : nvme.keyring.get(name);
    if (name !== undefined && !key) {
      for (const k of Object.values<SimKey | null>(taken)) nvme.keyring.put(k);
      nvme.sim.log('nvme_key_not_found', { name: p.name, field, key: name });
      throw err(-ENOKEY);
    }
    taken[field] = key;
  }
  return taken;
}

const err = (code: number, message = strerror(code)) => new SimRpcError(code, message);

/** bdev_nvme_check_io_error_resiliency_params: every invalid combination is -22. */
export function timeoutsValid(t: PathTimeouts): boolean {
  const { ctrlrLossTimeoutSec: loss, reconnectDelaySec: delay, fastIoFailTimeoutSec: fast } = t;
  if (loss < -1) return false;
  if (loss === -1) return delay !== 0 && (fast === 0 || fast >= delay);
  if (loss !== 0) return delay !== 0 && delay <= loss && (fast === 0 || (fast >= delay && fast <= loss));
  return delay === 0 && fast === 0;
}

const sleepUntil = (start: number, ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, start + ms - Date.now())));

export function registerNvmeRpcs(target: SimTarget, nvme: NvmeModule): void {
  target.register('bdev_nvme_attach_controller', {
    decode: tableDecoder(NVME_VALIDATION, 'bdev_nvme_attach_controller'),
    handler: async (params) => {
      const p = record(params);
      const started = Date.now();
      const name = p.name as string;
      const trid: TransportId = {
        trtype: 'TCP',
        adrfam: 'IPv4',
        traddr: p.traddr as string,
        trsvcid: (p.trsvcid as string | undefined) ?? '',
        subnqn: (p.subnqn as string | undefined) ?? 'nqn.2014-08.org.nvmexpress.discovery',
      };
      const hostnqn = (p.hostnqn as string | undefined) ?? nvme.defaultHostnqn;
      const mode = (p.multipath as string | undefined) ?? 'multipath';

      const existing = nvme.controllers.get(name);
      if (existing) {
        const first = existing[0]!.ctrlr;
        if (mode === 'disable') throw err(-EALREADY, `A controller named ${name} already exists and multipath is disabled`);
        if (first.trid.traddr === trid.traddr && first.trid.trsvcid === trid.trsvcid) {
          throw err(-EALREADY, `A controller named ${name} already exists with the specified network path`);
        }
        if (first.trid.subnqn !== trid.subnqn) {
          throw err(-EINVAL, `A controller named ${name} already exists, but uses a different subnqn (${first.trid.subnqn})`);
        }
        if (first.opts.hostnqn !== hostnqn) {
          throw err(-EINVAL, `A controller named ${name} already exists, but uses a different hostnqn (${first.opts.hostnqn})`);
        }
      }
      const numIoQueues = (p.num_io_queues as number | undefined) ?? 1024;
      if (numIoQueues === 0 || numIoQueues > 65536) throw err(-EINVAL, 'num_io_queues out of bounds, min: 1 max: 65536');

      // The trid comparison includes the transport type: an unknown one never matches a TCP path.
      const isTcp = (p.trtype as string).toLowerCase() === 'tcp';
      const duplicate = [...nvme.controllers.values()]
        .flat()
        .some(({ ctrlr }) => isTcp && ctrlr.opts.hostnqn === hostnqn && ctrlr.trid.traddr === trid.traddr && ctrlr.trid.trsvcid === trid.trsvcid && ctrlr.trid.subnqn === trid.subnqn);
      if (duplicate) throw err(-EEXIST);
      if (name.length === 0 || name.length >= NAME_MAX) throw err(-EINVAL);
      const timeouts: PathTimeouts = {
        ctrlrLossTimeoutSec: (p.ctrlr_loss_timeout_sec as number | undefined) ?? (nvme.options.ctrlr_loss_timeout_sec as number),
        reconnectDelaySec: (p.reconnect_delay_sec as number | undefined) ?? (nvme.options.reconnect_delay_sec as number),
        fastIoFailTimeoutSec: (p.fast_io_fail_timeout_sec as number | undefined) ?? (nvme.options.fast_io_fail_timeout_sec as number),
      };
      if (!timeoutsValid(timeouts)) throw err(-EINVAL);
      const multipath = mode === 'multipath';
      const named = takeKeys(nvme, p, ['psk', 'dhchap_key', 'dhchap_ctrlr_key']);
      const keys = { psk: named.psk, dhchapKey: named.dhchap_key, dhchapCtrlrKey: named.dhchap_ctrlr_key };
      const putKeys = () => {
        for (const k of Object.values(keys)) nvme.keyring.put(k);
      };
      if (existing && nvme.multipathByName.get(name) !== multipath) {
        putKeys();
        throw err(-EINVAL);
      }
      // Only the TCP transport exists in the simulator; spdk_tgt answers an unknown one so.
      if (!isTcp) {
        putKeys();
        throw err(-ENODEV);
      }
      // nvme_tcp_generate_tls_credentials parses the PSK when the controller is constructed.
      let psk = null;
      if (keys.psk) {
        const read = nvme.keyring.read(keys.psk);
        psk = 'content' in read ? parsePsk(read.content) : null;
        if (!psk) {
          putKeys();
          target.log('nvme_attach_failed', { name, traddr: trid.traddr, trsvcid: trid.trsvcid, reason: `Failed to parse PSK interchange (key ${keys.psk.name})` });
          throw err(-ENODEV);
        }
      }

      const tag = nvme.takeQpairMemory(name);
      if (!tag) {
        putKeys();
        throw err(-ENODEV);
      }
      // Every path has credentials: bdev_nvme_set_keys may give keys to one attached without.
      const credentials = new HostCredentials(nvme.keyring, keys, psk, nvme.options.dhchap_digests as string[], nvme.options.dhchap_dhgroups as string[]);
      const ctrlr = nvme.newController(name, trid, {
        ...timeouts,
        hostnqn,
        hostid: nvme.hostid,
        keepAliveTimeoutMs: nvme.options.keep_alive_timeout_ms as number,
        connectTimeoutMs: CONNECT_TIMEOUT_MS,
        credentials,
      });
      try {
        await ctrlr.attach();
      } catch (e) {
        target.memory.free(tag);
        putKeys();
        target.log('nvme_attach_failed', { name, traddr: trid.traddr, trsvcid: trid.trsvcid, reason: (e as Error).message });
        // Recorded three times out of three: when a TLS attempt hits a plain listener, the host's
        // established TLS controllers to that address drop at the same moment and reset.
        if ((e as Partial<ConnectFailed>).status === FabricStatus.TLS_UNEXPECTED) nvme.dropTlsPaths(trid.traddr);
        await sleepUntil(started, failureMs(e));
        throw err(-EIO);
      }
      const names = nvme.addPath({ ctrlr, memoryTag: tag }, multipath);
      await sleepUntil(started, ctrlr.authenticated ? ATTACH_AUTH_MS : keys.psk ? ATTACH_TLS_MS : ATTACH_MS);
      return names;
    },
  });

  target.register('bdev_nvme_detach_controller', {
    decode: tableDecoder(NVME_VALIDATION, 'bdev_nvme_detach_controller'),
    handler: (params) => {
      const p = record(params);
      const name = p.name as string;
      const matches = nvme.detach(
        name,
        (c) => (p.traddr === undefined || p.traddr === c.trid.traddr) && (p.trsvcid === undefined || p.trsvcid === c.trid.trsvcid) && (p.subnqn === undefined || p.subnqn === c.trid.subnqn),
      );
      if (!matches) throw err(-ENODEV);
      return true;
    },
  });

  target.register('bdev_nvme_get_controllers', {
    decode: tableDecoder(NVME_VALIDATION, 'bdev_nvme_get_controllers'),
    handler: (params) => {
      const name = record(params).name as string | undefined;
      if (name !== undefined && !nvme.controllers.has(name)) throw err(-EINVAL, `Controller ${name} does not exist`);
      const names = name !== undefined ? [name] : [...nvme.controllers.keys()];
      return names.map((n) => ({
        name: n,
        ctrlrs: (nvme.controllers.get(n) ?? []).map(({ ctrlr }) => ({
          state: ctrlr.state,
          trid: { ...ctrlr.trid },
          cntlid: ctrlr.cntlid,
          host: { nqn: ctrlr.opts.hostnqn, addr: '', svcid: '', no_shn_notification: false },
        })),
      }));
    },
  });

  target.register('bdev_nvme_set_options', {
    decode: tableDecoder(NVME_VALIDATION, 'bdev_nvme_set_options'),
    handler: (params) => {
      const p = record(params);
      const merged = { ...nvme.options, ...p };
      if ((merged.bdev_retry_count as number) < -1) throw err(-EINVAL);
      const valid = timeoutsValid({
        ctrlrLossTimeoutSec: merged.ctrlr_loss_timeout_sec as number,
        reconnectDelaySec: merged.reconnect_delay_sec as number,
        fastIoFailTimeoutSec: merged.fast_io_fail_timeout_sec as number,
      });
      if (!valid) throw err(-EINVAL);
      if (nvme.controllers.size > 0) throw err(-EPERM, 'RPC not permitted with nvme controllers already attached');
      Object.assign(nvme.options, p);
      // Kept as bit masks in spdk: listed back in their canonical order, once each.
      nvme.options.dhchap_digests = DIGESTS.filter((d) => (nvme.options.dhchap_digests as string[]).includes(d));
      nvme.options.dhchap_dhgroups = DHGROUPS.filter((g) => (nvme.options.dhchap_dhgroups as string[]).includes(g));
      return true;
    },
  });

  // bdev_nvme_set_keys (bdev_nvme.c): keys first (-126), then the controller (-19); each path takes
  // the new keys and, when a host key is given, authenticates again (-13 when that fails).
  target.register('bdev_nvme_set_keys', {
    decode: tableDecoder(NVME_VALIDATION, 'bdev_nvme_set_keys'),
    handler: async (params) => {
      const p = record(params);
      const name = p.name as string;
      const { dhchap_key: key, dhchap_ctrlr_key: ckey } = takeKeys(nvme, p, ['dhchap_key', 'dhchap_ctrlr_key']);
      try {
        const paths = nvme.controllers.get(name);
        if (!paths || paths.length === 0) {
          target.log('nvme_set_keys_failed', { name, reason: 'Could not find bdev_ctrlr' });
          throw err(-ENODEV);
        }
        for (const { ctrlr } of paths) {
          const credentials = ctrlr.opts.credentials;
          if (!credentials || (key === null && ckey !== null)) throw err(-EINVAL);
          credentials.dhchapKey = key;
          credentials.dhchapCtrlrKey = ckey;
          if (key === null) continue;
          if ((await ctrlr.reauthenticate()) !== null) throw err(-EACCES);
        }
        return true;
      } finally {
        // The driver keeps using the keys without references of its own (spdk_nvme_ctrlr_set_keys).
        nvme.keyring.put(key);
        nvme.keyring.put(ckey);
      }
    },
  });

  // bdev_nvme_rpc.c, then spdk_bdev_nvme_set_multipath_policy (bdev_nvme.c): a selector with
  // active_passive is refused as a decode failure; round robin with rr_min_io 0 is -22; a bdev that
  // is missing or not an NVMe bdev is -19.
  target.register('bdev_nvme_set_multipath_policy', {
    decode: tableDecoder(NVME_VALIDATION, 'bdev_nvme_set_multipath_policy'),
    handler: (params) => {
      const p = record(params) as { name: string; policy: MultipathPolicy; selector?: MultipathSelector; rr_min_io?: number };
      const selector = p.selector ?? (p.policy === 'active_active' ? 'round_robin' : null);
      if (p.policy !== 'active_active' && selector !== null) throw err(DECODE_FAILED.code, DECODE_FAILED.message);
      let rrMinIo = p.rr_min_io ?? UINT32_MAX;
      if (p.policy === 'active_active' && selector === 'round_robin') {
        if (rrMinIo === 0) throw err(-EINVAL);
        if (rrMinIo === UINT32_MAX) rrMinIo = RR_MIN_IO_DEFAULT;
      }
      const bdev = target.bdevs.get(p.name);
      if (!(bdev instanceof NvmeBdev)) throw err(-ENODEV);
      bdev.setMultipath(p.policy, selector, rrMinIo);
      return true;
    },
  });

  target.register('bdev_nvme_get_io_paths', {
    decode: tableDecoder(NVME_VALIDATION, 'bdev_nvme_get_io_paths'),
    handler: (params) => {
      const name = record(params).name as string | undefined;
      // spdk_tgt lists the I/O paths of the channels that are open: a bdev someone uses (claims).
      const bdevs = [...nvme.namespaceBdevs.values()].flat().filter((b) => b.claim !== null && (name === undefined || b.name === name));
      if (bdevs.length === 0) return { poll_groups: [] };
      return {
        poll_groups: [
          {
            thread: 'nvmf_tgt_poll_group_000',
            io_paths: bdevs.flatMap((b) =>
              b.paths.map((c) => ({
                bdev_name: b.name,
                cntlid: c.cntlid,
                current: false,
                connected: c.state === 'enabled',
                accessible: b.anaState(c) !== 'inaccessible',
                transport: { trtype: 'TCP', traddr: c.trid.traddr, trsvcid: c.trid.trsvcid, adrfam: 'IPv4' },
              })),
            ),
          },
        ],
      };
    },
  });
}
