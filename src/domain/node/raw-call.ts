/**
 * spdk_tgt through the service, for an operator's diagnosis: what it is (version, methods) and
 * one raw call, as SPDK's rpc.py would make it. A raw call bypasses everything the service knows
 * about its objects, so only methods that read run without the caller saying otherwise.
 */
import type { Logger } from 'pino';
import { ConductorError } from '../../errors.js';
import type { CallOptions } from '../../spdk/call.js';
import type { SpdkClient } from '../../spdk/client.js';
import type { SpdkInfo } from '../operations.js';

/**
 * Methods that only read: every `*_get_*` (and `get_*`, `*_get`) method, plus the shallow copy's
 * status check. env_dpdk_get_mem_stats is excluded: it writes the dump file the resource sampler
 * reads (spdk/mem-dump.ts), so a raw call could hand the sampler a file it did not ask for.
 */
const READS = /(^|_)get(_|$)/;
const READS_TOO: ReadonlySet<string> = new Set(['bdev_lvol_check_shallow_copy']);
const NOT_READS: ReadonlySet<string> = new Set(['env_dpdk_get_mem_stats']);

export function onlyReads(method: string): boolean {
  return (READS.test(method) || READS_TOO.has(method)) && !NOT_READS.has(method);
}

export async function spdkInfo(client: SpdkClient): Promise<SpdkInfo> {
  const caps = await client.capabilities.get();
  return { version: caps.version.version, simulator: caps.simulator, methods: [...caps.methods].sort() };
}

export async function spdkRawCall(client: SpdkClient, log: Logger, method: string, params: object | undefined, allowMutating: boolean, options?: CallOptions): Promise<unknown> {
  const reads = onlyReads(method);
  if (!reads && !allowMutating) {
    throw new ConductorError(
      'SPDK_CALL_MUTATING',
      `${method} may change spdk_tgt's state under the service (only methods that read run by default); pass allow_mutating (CLI: --allow-mutating) if you mean it`,
      { method },
    );
  }
  // Never the params: they may name key files or carry values an operator would not want logged.
  if (!reads) log.warn({ method, paramKeys: params ? Object.keys(params) : [] }, 'raw spdk_tgt call that may change state, asked for by an API caller');
  return client.callUnchecked(method, params, options);
}
