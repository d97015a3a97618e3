/**
 * sim_ methods (never in spdk_tgt): read, write and checksum a bdev's blocks through the same
 * read/write path modules use, make a bdev fail I/O, delay RPC answers, fail the next DMA
 * allocations, set the system's free hugepages and take DMA memory away.
 */
import { createHash } from 'node:crypto';
import { POLL_GROUP_THREAD, SimIoError, SimRpcError, type SimBdev, type SimModule } from '../core/contract.js';
import { objectDecoder, type ParamSpec } from '../core/decode.js';
import { errno, strerror } from '../core/errno.js';
import { runOnThread } from '../core/io-stats.js';
import type { CoreTarget } from '../core/target.js';
import { timerMs } from '../core/timer-ms.js';

export const SIM_PARAM_SPECS = {
  sim_bdev_write: [
    { name: 'name', type: 'string', required: true },
    { name: 'offset_blocks', type: 'uint64', required: true },
    { name: 'data_base64', type: 'string', required: true },
    { name: 'timeout_ms', type: 'uint32' },
  ],
  sim_bdev_read: [
    { name: 'name', type: 'string', required: true },
    { name: 'offset_blocks', type: 'uint64', required: true },
    { name: 'num_blocks', type: 'uint64', required: true },
  ],
  sim_bdev_checksum: [
    { name: 'name', type: 'string', required: true },
    { name: 'offset_blocks', type: 'uint64' },
    { name: 'num_blocks', type: 'uint64' },
  ],
  sim_bdev_fail_io: [
    { name: 'name', type: 'string', required: true },
    { name: 'enable', type: 'boolean', required: true },
  ],
  sim_rpc_delay: [
    { name: 'method', type: 'string' },
    { name: 'ms', type: 'uint32', required: true },
  ],
  sim_fail_next_allocs: [{ name: 'count', type: 'uint32', required: true }],
  sim_set_memory: [
    { name: 'hugepages_free', type: 'uint32' },
    { name: 'consume_mib', type: 'uint32' },
  ],
} as const satisfies Record<string, readonly ParamSpec[]>;

/** The heap allocations sim_set_memory's consume_mib holds. */
const CONSUMER_TAG = 'sim:consume';

const MIB = 1024 * 1024;
/** sim_set_memory consume_mib above this (8 GiB) is -22: the 1 MiB pieces cost the heap model O(n^2). */
const CONSUME_MAX_MIB = 8192;
/** Pieces taken between two turns of the event loop. */
const CONSUME_SLICE = 32;

/** Reads bigger than this are split, so checksums of large bdevs stay in bounded memory and time slices. */
const CHUNK_BYTES = MIB;
/** sim_bdev_read answers base64 in one line: more than this is -22. */
const READ_MAX_BYTES = MIB;
/** sim_bdev_checksum of more than this is -22 (a null bdev can have 2^64 - 1 blocks). */
const CHECKSUM_MAX_BYTES = 16 * 1024 * MIB;

function bdevOf(target: CoreTarget, name: string): SimBdev {
  const bdev = target.bdevs.get(name);
  if (bdev === undefined) throw new SimRpcError(-errno.ENODEV, strerror(errno.ENODEV));
  return bdev;
}

/** sim_bdev_* stand for a host's I/O over NVMe/TCP: served on the poll group's thread. */
async function io<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await runOnThread(POLL_GROUP_THREAD, op);
  } catch (err) {
    if (err instanceof SimIoError) throw new SimRpcError(err.errno, err.message);
    throw err;
  }
}

export function faultsModule(target: CoreTarget): SimModule {
  return {
    name: 'faults',
    install(t) {
      t.register('sim_bdev_write', {
        decode: objectDecoder(SIM_PARAM_SPECS.sim_bdev_write),
        handler: async (params) => {
          const p = params as { name: string; offset_blocks: number; data_base64: string; timeout_ms?: number };
          const bdev = bdevOf(target, p.name);
          const data = Buffer.from(p.data_base64, 'base64');
          if (data.length === 0 || data.length % bdev.blockSize !== 0) throw new SimRpcError(-errno.EINVAL, strerror(errno.EINVAL));
          const write = io(() => bdev.write(p.offset_blocks, data));
          if (!p.timeout_ms) {
            await write;
            return true;
          }
          // A host's io_timeout: the write is given up (and reported failed) if it takes longer,
          // as a kernel host gives up on a volume whose I/O stalls past nvme_core.io_timeout.
          let timer: NodeJS.Timeout | undefined;
          const expired = new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new SimRpcError(-errno.ETIMEDOUT, strerror(errno.ETIMEDOUT))), timerMs(p.timeout_ms ?? 0));
          });
          write.catch(() => undefined);
          try {
            await Promise.race([write, expired]);
          } finally {
            clearTimeout(timer);
          }
          return true;
        },
      });
      t.register('sim_bdev_read', {
        decode: objectDecoder(SIM_PARAM_SPECS.sim_bdev_read),
        handler: async (params) => {
          const p = params as { name: string; offset_blocks: number; num_blocks: number };
          const bdev = bdevOf(target, p.name);
          if (p.num_blocks * bdev.blockSize > READ_MAX_BYTES) throw new SimRpcError(-errno.EINVAL, strerror(errno.EINVAL));
          const data = await io(() => bdev.read(p.offset_blocks, p.num_blocks));
          return { data_base64: data.toString('base64') };
        },
      });
      t.register('sim_bdev_checksum', {
        decode: objectDecoder(SIM_PARAM_SPECS.sim_bdev_checksum),
        handler: async (params) => {
          const p = params as { name: string; offset_blocks?: number; num_blocks?: number };
          const bdev = bdevOf(target, p.name);
          const offset = p.offset_blocks ?? 0;
          const count = p.num_blocks ?? bdev.numBlocks - offset;
          if (count * bdev.blockSize > CHECKSUM_MAX_BYTES) throw new SimRpcError(-errno.EINVAL, strerror(errno.EINVAL));
          const hash = createHash('sha256');
          const step = Math.max(1, Math.floor(CHUNK_BYTES / bdev.blockSize));
          for (let lba = offset; lba < offset + count; lba += step) {
            const n = Math.min(step, offset + count - lba);
            hash.update(await io(() => bdev.read(lba, n)));
            // Reads of memory-backed bdevs settle in microtasks: let the poll loop run between chunks.
            await new Promise((resolve) => setImmediate(resolve));
          }
          return { sha256: hash.digest('hex'), offset_blocks: offset, num_blocks: count };
        },
      });
      t.register('sim_bdev_fail_io', {
        decode: objectDecoder(SIM_PARAM_SPECS.sim_bdev_fail_io),
        handler: (params) => {
          const p = params as { name: string; enable: boolean };
          target.bdevs.setFailIo(bdevOf(target, p.name), p.enable);
          return true;
        },
      });
      t.register('sim_rpc_delay', {
        decode: objectDecoder(SIM_PARAM_SPECS.sim_rpc_delay),
        handler: (params) => {
          const p = params as { method?: string; ms: number };
          target.dispatcher.setDelay(p.method, p.ms);
          return true;
        },
      });
      // How long the longest poll took since the last call (wall and CPU ms): a stall of the
      // poll loop shows here even where the machine's load hides it in round trips.
      t.register('sim_poll_stats', {
        handler: () => {
          const { wallMs, cpuMs, ticks } = target.loop.takeLongestTick();
          return { polls: ticks, longest_poll_wall_ms: wallMs, longest_poll_cpu_ms: cpuMs };
        },
      });
      // The previous request answered on this connection, from the arrival of its last byte to
      // its answer written: wall ms, the polls it waited, and the main thread's CPU ms from the start
      // of the last poll before its arrival (its bytes waited in the socket through that poll).
      t.register('sim_request_time', {
        handler: (_params, ctx) => {
          const prev = ctx.previousAnswer ?? null;
          return prev && { method: prev.method, wall_ms: prev.wallMs, cpu_ms: prev.cpuMs, polls: prev.polls };
        },
      });
      t.register('sim_fail_next_allocs', {
        decode: objectDecoder(SIM_PARAM_SPECS.sim_fail_next_allocs),
        handler: (params) => {
          target.memory.failNextAllocations((params as { count: number }).count);
          return true;
        },
      });
      t.register('sim_set_memory', {
        decode: objectDecoder(SIM_PARAM_SPECS.sim_set_memory),
        handler: async (params) => {
          const p = (params ?? {}) as { hugepages_free?: number; consume_mib?: number };
          if (p.hugepages_free !== undefined) target.memory.setHugepagesFree(p.hugepages_free);
          if (p.consume_mib !== undefined) {
            if (p.consume_mib > CONSUME_MAX_MIB) throw new SimRpcError(-errno.EINVAL, strerror(errno.EINVAL));
            // Someone else's DMA use (pressure for admission-control tests): 1 MiB pieces, so
            // free_size drops by about that much wherever the heap has room.
            target.memory.free(CONSUMER_TAG);
            // Each piece takes at least 1 MiB of the free heap or one new hugepage: more than
            // that can never fit, so it fails at once instead of after thousands of allocations.
            const fits = Math.floor(target.memory.heap.stats().freeSize / MIB) + (target.memory.hugepagesFree ?? 0);
            let taken = 0;
            if (p.consume_mib <= fits) {
              while (taken < p.consume_mib && target.memory.alloc(CONSUMER_TAG, MIB)) {
                taken++;
                // Allocation in the heap model scans every element: let the poll loop run meanwhile.
                if (taken % CONSUME_SLICE === 0) await new Promise((resolve) => setImmediate(resolve));
              }
            }
            if (taken < p.consume_mib) {
              target.memory.free(CONSUMER_TAG);
              throw new SimRpcError(-errno.ENOMEM, strerror(errno.ENOMEM));
            }
          }
          const s = target.memory.heap.stats();
          return {
            mode: target.memory.options.mode,
            heap_size: s.heapSize,
            free_size: s.freeSize,
            greatest_free_size: s.greatestFree,
            hugepages_free: target.memory.hugepagesFree,
          };
        },
      });
    },
  };
}
