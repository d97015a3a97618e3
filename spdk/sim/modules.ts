/**
 * The modules main installs, in order. Core modules come first; the nvmf target, bdev_nvme
 * initiator and raid modules add one line each below the marker.
 */
import type { SimModule } from './core/contract.js';
import type { CoreTarget } from './core/target.js';
import { bdevModule } from './bdev/index.js';
import { faultsModule } from './faults/index.js';
import { infoModule } from './info/index.js';
import { keyringModule } from './keyring/index.js';
import { lvolModule } from './lvol/index.js';
import { raidModule } from './raid/index.js';
import { nvmeModule } from './nvme/index.js';
import { nvmfModule } from './nvmf/index.js';

export interface ModuleOptions {
  /** nvmf_set_max_subsystems as given at start-up; default spdk_tgt's 1024. */
  maxSubsystems?: number;
  /** Reactors in interrupt mode (spdk_tgt --interrupt-mode): see info/index.ts. */
  interruptMode?: boolean;
}

export function modules(target: CoreTarget, options: ModuleOptions = {}): SimModule[] {
  // One keyring for the target (nvmf) and the host (bdev_nvme) sides, as in spdk_tgt.
  const keyring = keyringModule();
  return [
    infoModule(target, { interruptMode: options.interruptMode }),
    bdevModule(target),
    lvolModule(target),
    faultsModule(target),
    keyring,
    // Modules of the nvmf / nvme / raid owner follow.
    raidModule(),
    nvmeModule(() => keyring.keyring),
    nvmfModule(options.maxSubsystems, () => keyring.keyring),
  ];
}
