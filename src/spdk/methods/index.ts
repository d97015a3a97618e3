/**
 * Typed wrappers over spdk_tgt's JSON-RPC methods, one class per area, behind one facade.
 * Each wrapper sends exactly the method and params its contract in rpc-schemas/spdk describes;
 * validation, deadlines and the per-object ordering are the caller's (src/spdk/client.ts).
 */

import type { SpdkCaller } from '../call.js';
import { BdevMethods } from './bdev.js';
import { InfoMethods } from './info.js';
import { KeyringMethods } from './keyring.js';
import { LvolMethods } from './lvol.js';
import { NvmeMethods } from './nvme.js';
import { NvmfMethods } from './nvmf.js';
import { RaidMethods } from './raid.js';

export class SpdkMethods {
  readonly bdev: BdevMethods;
  readonly lvol: LvolMethods;
  readonly raid: RaidMethods;
  readonly nvmf: NvmfMethods;
  readonly nvme: NvmeMethods;
  readonly info: InfoMethods;
  readonly keyring: KeyringMethods;

  constructor(caller: SpdkCaller) {
    this.bdev = new BdevMethods(caller);
    this.lvol = new LvolMethods(caller);
    this.raid = new RaidMethods(caller);
    this.nvmf = new NvmfMethods(caller);
    this.nvme = new NvmeMethods(caller);
    this.info = new InfoMethods(caller);
    this.keyring = new KeyringMethods(caller);
  }
}

export * from './bdev.js';
export * from './info.js';
export * from './keyring.js';
export * from './lvol.js';
export * from './nvme.js';
export * from './nvmf.js';
export * from './raid.js';
