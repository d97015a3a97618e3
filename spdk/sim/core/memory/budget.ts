/**
 * The MemoryBudget modules spend: a DPDK heap model plus the sim_ faults (fail the next N
 * allocations) and the iobuf users that iobuf_get_stats lists.
 */
import type { MemoryBudget } from '../contract.js';
import { PAGE_2M, type Element } from './heap.js';
import { buildHeap, type HeapProfile, type MemoryMode } from './profiles.js';

export interface MemoryOptions {
  readonly mode: MemoryMode;
  /** Heap size in MiB for legacy and no-huge (a hard cap); ignored in dynamic mode, as `-s` is. */
  readonly mib: number | null;
  /** Free 2 MiB pages in the system pool that dynamic mode may map. */
  readonly hugepagesFree: number;
}

export interface IobufUser {
  readonly module: string;
  smallCacheSize: number;
  largeCacheSize: number;
}

export class CoreMemory implements MemoryBudget {
  readonly profile: HeapProfile;
  private readonly byTag = new Map<string, Element[]>();
  private failNext = 0;
  readonly iobufUsers: IobufUser[] = [
    // What a fresh spdk_tgt lists before any transport exists (transcript 14, phase 6).
    { module: 'accel', smallCacheSize: 0, largeCacheSize: 0 },
    { module: 'bdev', smallCacheSize: 0, largeCacheSize: 0 },
  ];

  constructor(readonly options: MemoryOptions) {
    this.profile = buildHeap(options.mode, options.mib, options.hugepagesFree);
  }

  get heap() {
    return this.profile.heap;
  }

  alloc(tag: string, bytes: number, opts?: { aligned2M?: boolean; align?: number }): boolean {
    if (this.failNext > 0) {
      this.failNext--;
      return false;
    }
    const elem = this.heap.alloc(bytes, opts?.aligned2M ? PAGE_2M : (opts?.align ?? 64), tag);
    if (elem === null) return false;
    const list = this.byTag.get(tag);
    if (list) list.push(elem);
    else this.byTag.set(tag, [elem]);
    return true;
  }

  free(tag: string): void {
    const list = this.byTag.get(tag);
    if (list === undefined) return;
    this.byTag.delete(tag);
    for (const e of list) this.heap.free(e);
  }

  /** sim_fail_next_allocs. */
  failNextAllocations(count: number): void {
    this.failNext = count;
  }

  get pendingFailures(): number {
    return this.failNext;
  }

  /** sim_set_memory: the system's free hugepages (what dynamic mode can still map). */
  setHugepagesFree(pages: number): void {
    if (this.heap.hugepagePool !== null) this.heap.hugepagePool.free = pages;
  }

  get hugepagesFree(): number | null {
    return this.heap.hugepagePool?.free ?? null;
  }

  /** iobuf_get_stats lists these; nvmf adds `nvmf_TCP` when it creates the transport. */
  registerIobufUser(module: string, smallCacheSize: number, largeCacheSize: number): void {
    const existing = this.iobufUsers.find((u) => u.module === module);
    if (existing) {
      existing.smallCacheSize = smallCacheSize;
      existing.largeCacheSize = largeCacheSize;
    } else {
      this.iobufUsers.push({ module, smallCacheSize, largeCacheSize });
    }
  }
}
