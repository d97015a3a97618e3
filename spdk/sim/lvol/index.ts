/** Placeholder until the lvol module lands in the next commit. */
import type { SimModule } from '../core/contract.js';
import type { CoreTarget } from '../core/target.js';

export function lvolModule(_target: CoreTarget): SimModule {
  return { name: 'lvol', install() {} };
}
