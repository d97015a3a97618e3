/**
 * When the resource sampler asks spdk_tgt for a new memory dump. env_dpdk_get_mem_stats runs on
 * spdk_tgt's app thread and writes a file whose size follows the heap's page count: a few
 * milliseconds on hugepages, but 400–800 ms for the 45 MB dump of a --no-huge 1 GiB heap (one
 * segment per 4 KiB page), during which every call in flight (a create's lvol, subsystem,
 * listener) waits; and the service then reads and parses that file (78 MB for `-s 2048`: 30-47 ms
 * of its CPU, 123-131 ms before the parser skipped per-line work). So a large dump (over
 * LARGE_DUMP_SEGMENTS segments: the cost follows them, and a count is not noisy as a time is) is
 * asked for at most every `spacing` times its own last cost, spdk_tgt's and the service's
 * together (health.memDumpSpacing × (dumpMs + readMs)): it takes at most 1/spacing of spdk_tgt's
 * app thread and of the service's event loop. In between, a sample keeps the last dump, with the
 * time it was asked, and holds settle against that time. A small dump is asked for at every
 * sample. Near exhaustion, or after spdk_tgt restarted, every sample dumps again: admission's
 * numbers matter most then.
 */
import type { Logger } from 'pino';
import type { DmaReading, DumpRead } from './dma-reading.js';

/** Hugepage heaps have tens to hundreds of segments; a --no-huge heap one per 4 KiB page. */
const LARGE_DUMP_SEGMENTS = 10_000;
/** Below this many times the admission reserve of room, every sample dumps. */
const TIGHT_FACTOR = 4;

export interface KeptDump {
  read: DumpRead;
  /** When it was asked (the sampler's clock): a reading of spdk_tgt's heap as of then. */
  askedAt: number;
}

export class DumpSchedule {
  private last: KeptDump | undefined;
  private spaced = false;

  constructor(
    /** A large dump costs spdk_tgt's app thread and the service's event loop at most 1/spacing of their time; 0: a dump at every sample. */
    private readonly spacing: number,
    private readonly log: Logger,
  ) {}

  /** The kept dump, while the next is not due; undefined: ask spdk_tgt for a new one. */
  kept(now: number, lastDma: DmaReading | undefined, reserveBytes: number): KeptDump | undefined {
    const last = this.last;
    if (!last) return undefined;
    if (lastDma?.availableBytes === undefined || lastDma.availableBytes < TIGHT_FACTOR * reserveBytes) return undefined;
    // A small dump's gap is 0: it is never kept.
    return now - last.askedAt < this.gapMs(last.read) ? last : undefined;
  }

  took(read: DumpRead | undefined, askedAt: number, periodMs: number): void {
    this.last = read && { read, askedAt };
    const gapMs = read ? this.gapMs(read) : 0;
    // Said when the spacing starts or ends to differ from the period, not at every sample.
    const spaced = gapMs > periodMs;
    if (spaced && !this.spaced)
      this.log.info(
        { dumpMs: read!.dumpMs, readMs: read!.readMs, everyMs: gapMs },
        "the memory dump is slow (spdk_tgt's app thread writes it, the service reads it): asked for less often than each sample",
      );
    if (!spaced && this.spaced) this.log.info({ dumpMs: read?.dumpMs, readMs: read?.readMs }, 'the memory dump is asked for at each sample again');
    this.spaced = spaced;
  }

  /** spdk_tgt restarted: its heap is new. */
  forget(): void {
    this.last = undefined;
  }

  private gapMs(read: DumpRead): number {
    return 'dump' in read && read.dump.segments.count > LARGE_DUMP_SEGMENTS ? this.spacing * (read.dumpMs + read.readMs) : 0;
  }
}
