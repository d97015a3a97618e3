/**
 * The bdev layer's own methods (bdev_get_bdevs, bdev_wait_for_examine, iostat and QoS) and the core's bdev
 * modules: malloc, null and aio.
 */
import { SimRpcError, type SimBdev, type SimModule } from '../core/contract.js';
import { tableDecoder } from '../core/decode.js';
import { errno, strerror } from '../core/errno.js';
import type { CoreTarget } from '../core/target.js';
import { registerAio } from './aio.js';
import { bdevEntry } from './describe.js';
import { registerIostat } from './iostat.js';
import { registerMalloc } from './malloc.js';
import { registerNull } from './null.js';
import { BDEV_VALIDATION } from './validation.js';

export function bdevModule(target: CoreTarget): SimModule {
  return {
    name: 'bdev',
    install(t) {
      const entry = (bdev: SimBdev) => bdevEntry(bdev, target.bdevs.qosOf(bdev).assigned());
      t.register('bdev_get_bdevs', {
        decode: tableDecoder(BDEV_VALIDATION, 'bdev_get_bdevs'),
        handler: (params) => {
          const p = (params ?? {}) as { name?: string; timeout?: number };
          if (p.name === undefined) return target.bdevs.list().map(entry);
          const found = target.bdevs.get(p.name);
          if (found) return [entry(found)];
          if (!p.timeout) throw new SimRpcError(-errno.ENODEV, strerror(errno.ENODEV));
          const name = p.name;
          const deadline = Date.now() + p.timeout;
          return new Promise((resolve, reject) => {
            const check = () => {
              const bdev = target.bdevs.get(name);
              if (bdev) resolve([entry(bdev)]);
              // spdk_bdev_open_async's timeout (bdev.c): -ETIMEDOUT once it expires.
              else if (Date.now() >= deadline) reject(new SimRpcError(-errno.ETIMEDOUT, strerror(errno.ETIMEDOUT)));
              else setTimeout(check, 4);
            };
            check();
          });
        },
      });
      t.register('bdev_wait_for_examine', {
        handler: async () => {
          await target.bdevs.examinesDone();
          return true;
        },
      });
      registerMalloc(t);
      registerNull(t);
      registerAio(t);
      registerIostat(target);
    },
  };
}
