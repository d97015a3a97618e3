/** spdk_tgt's nvmf max_subsystems as its configuration gives it (framework_get_config nvmf). */
import type { ConfigEntry } from '../../spdk/methods/index.js';

/**
 * nvmf's max_subsystems as spdk_tgt runs with it: spdk_nvmf_tgt_write_config_json (lib/nvmf/nvmf.c)
 * writes it as the params of an nvmf_set_max_subsystems entry; undefined when there is none.
 */
export function maxSubsystemsIn(entries: readonly ConfigEntry[]): number | undefined {
  const max = entries.find((e) => e.method === 'nvmf_set_max_subsystems')?.params?.max_subsystems;
  return typeof max === 'number' && Number.isInteger(max) && max > 0 ? max : undefined;
}

/** spdk_tgt answered, and its answer does not give max_subsystems. */
export class LimitUnknown extends Error {}
