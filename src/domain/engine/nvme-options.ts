/**
 * The budget's replica-side defaults go to bdev_nvme_set_options, which spdk_tgt accepts only
 * while no controller exists; every attach also carries the timeouts itself, so a restart with
 * controllers already attached loses nothing.
 */
import type { NvmeController } from '../../spdk/methods/nvme.js';
import type { DomainContext } from '../node/context.js';
import { nvmeSetOptions, type TimeoutBudget } from './timeout-budget.js';

export async function applyNvmeOptions(ctx: Pick<DomainContext, 'spdk' | 'log'>, budget: TimeoutBudget, controllers: readonly NvmeController[]): Promise<void> {
  if (controllers.length > 0) {
    ctx.log.info({ controllers: controllers.length }, 'controllers exist; bdev_nvme options left as they are (each attach carries its timeouts)');
    return;
  }
  await ctx.spdk.nvme.setOptions(nvmeSetOptions(budget));
}
