/**
 * The node's hugepage pools, as the kernel reports them:
 *
 *   proc/meminfo                                   HugePages_Total/Free/Rsvd/Surp, Hugepagesize (default size only)
 *   sys/kernel/mm/hugepages/hugepages-<N>kB/       nr_hugepages, free_hugepages, resv_hugepages, surplus_hugepages
 *
 * spdk_tgt's default (dynamic) memory mode maps more hugepages whenever its DMA heap runs short,
 * so the free pages of the size it uses are part of what it can still allocate (transcript 14,
 * phase 6: 16 MiB mallocs succeed with 9 MiB free in the heap until the pool is empty).
 * Both files are host-wide, so a sidecar container sees the same figures as spdk_tgt's.
 *
 * A container's hugetlb cgroup can allow fewer pages than the pool has free (Kubernetes sets it to
 * the pod's hugepages-<size> limit), and a mapping past it is refused however many pages the pool
 * has. So each pool's `available` is also bounded by this process's cgroup where it sets one:
 *
 *   sys/fs/cgroup/hugetlb.<2MB>.max, .current                        cgroup v2
 *   sys/fs/cgroup/hugetlb/hugetlb.<2MB>.limit_in_bytes, .usage_in_bytes   cgroup v1
 *
 * A limit of 0 is not applied: it says this cgroup holds no hugepages at all (the kubelet gives
 * that to a container that requests none, as the sidecar container beside spdk_tgt's), so
 * spdk_tgt, which runs on hugepages, is not in it and the node's pool is what bounds it.
 *
 * In that two-container pod spdk_tgt's own limit is not readable from here: with a cgroup
 * namespace (the default of cgroup v2 runtimes) this container's /sys/fs/cgroup is its own cgroup
 * and nothing above it, and under v1 the runtime bind-mounts only the container's own directory;
 * neither shows the pod's cgroup (its parent) nor spdk_tgt's (a sibling). So the limit comes in
 * through configuration, from the downward API (resourceFieldRef limits.hugepages-2Mi of the
 * spdk-tgt container): health.spdkHugepagesLimitBytes, parsed here, applied by boundBySpdkLimit
 * with what spdk_tgt has mapped of that size (its memory dump's segments), since its cgroup's
 * usage cannot be read either. Each pool says which bound set its `available`: the node's pool,
 * this process's cgroup or spdk_tgt's limit, the smallest.
 *
 * Absent files are normal (macOS, a container without /sys, a kernel without hugetlbfs): the
 * reading then says what is missing and why; it never throws.
 */
import fsp from 'node:fs/promises';
import path from 'node:path';

export interface HugepagePool {
  pageSizeBytes: number;
  total: number;
  free: number;
  /** Promised to a mapping but not faulted in yet: not available to anyone else. */
  reserved: number;
  surplus: number;
  /** Pages a new mapping can still take: free minus reserved. */
  available: number;
  source: 'sysfs' | 'meminfo';
  /** This process's hugetlb cgroup limit of this size, when one is set (see above). */
  cgroup?: HugetlbLimit;
  /** spdk_tgt's container limit of this size (health.spdkHugepagesLimitBytes), when configured. */
  spdkLimit?: SpdkLimit;
  /** Which bound set `available`: the smallest of the node's pool, the cgroup and spdk_tgt's limit. */
  bound: HugepageBound;
}

export type HugepageBound = 'node pool' | 'hugetlb cgroup' | 'spdk_tgt limit';

/** Pages of one size a new mapping can still take, and the bound that set them: a pool, or the simulator's (dma-reading.ts). */
export interface BoundedPages {
  available: number;
  bound: HugepageBound;
  spdkLimit?: SpdkLimit;
}

/** What one bound lets spdk_tgt still map of a page size (NodeStats, metrics). */
export interface HugepageBoundFigure {
  bound: HugepageBound;
  availablePages: number;
  /** The cgroup's or spdk_tgt's limit; absent for the node's pool. */
  limitBytes?: number;
  /** What is charged against that limit: the cgroup's usage, what spdk_tgt has mapped. */
  usedBytes?: number;
}

export interface SpdkLimit {
  limitBytes: number;
  /** What spdk_tgt has mapped of this size, from its memory dump: what its cgroup is charged. */
  mappedBytes: number;
  /** Pages the limit still lets spdk_tgt map. */
  availablePages: number;
}

import type { SpdkHugepageLimits } from '../validation/hugepage-limits.js';

// The config checks the value with spdkHugepageLimitsProblem (config may not import host/).
export { parseSpdkHugepageLimits, spdkHugepageLimitsProblem, type SpdkHugepageLimits } from '../validation/hugepage-limits.js';

export interface HugetlbLimit {
  limitBytes: number;
  usageBytes: number;
  /** Pages the cgroup still lets this size's mappings take. */
  availablePages: number;
  /** The limit file read, for messages. */
  file: string;
}

export interface MeminfoHugepages {
  total: number;
  free: number;
  reserved: number;
  surplus: number;
  /** The default hugepage size (the pool HugePages_* describe). */
  pageSizeBytes: number;
  /** Hugetlb: memory of all pools together, when the kernel reports it. */
  hugetlbBytes: number | undefined;
}

export interface HugepageReading {
  meminfo: MeminfoHugepages | undefined;
  /** One per page size, smallest first: from sysfs, or the default pool from meminfo without sysfs. */
  pools: HugepagePool[];
  /** What could not be read, and why. Empty when everything was there. */
  problems: string[];
}

const KIB = 1024;

/** Parses the HugePages_* lines of /proc/meminfo; undefined when the kernel has none of them. */
export function parseMeminfo(text: string): MeminfoHugepages | undefined {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(HugePages_\w+|Hugepagesize|Hugetlb):\s+(\d+)(?:\s*kB)?\s*$/.exec(line);
    if (m) fields.set(m[1]!, Number(m[2]));
  }
  const total = fields.get('HugePages_Total');
  const size = fields.get('Hugepagesize');
  if (total === undefined || size === undefined) return undefined;
  const hugetlb = fields.get('Hugetlb');
  return {
    total,
    free: fields.get('HugePages_Free') ?? 0,
    reserved: fields.get('HugePages_Rsvd') ?? 0,
    surplus: fields.get('HugePages_Surp') ?? 0,
    pageSizeBytes: size * KIB,
    hugetlbBytes: hugetlb === undefined ? undefined : hugetlb * KIB,
  };
}

/** Reads the node's hugepage pools under `root` (default `/`). Never throws. */
export async function readHugepages(root = '/'): Promise<HugepageReading> {
  const problems: string[] = [];
  const meminfoPath = path.join(root, 'proc/meminfo');
  let meminfo: MeminfoHugepages | undefined;
  try {
    meminfo = parseMeminfo(await fsp.readFile(meminfoPath, 'utf8'));
    if (!meminfo) problems.push(`${meminfoPath} has no HugePages_* lines: the kernel has no hugetlbfs`);
  } catch (err) {
    problems.push(`cannot read ${meminfoPath}: ${reason(err)}`);
  }

  const sysfsDir = path.join(root, 'sys/kernel/mm/hugepages');
  const pools: HugepagePool[] = [];
  let names: string[] = [];
  try {
    names = await fsp.readdir(sysfsDir);
  } catch (err) {
    problems.push(`cannot read ${sysfsDir}: ${reason(err)}`);
  }
  for (const name of names) {
    const m = /^hugepages-(\d+)kB$/.exec(name);
    if (!m) continue;
    const dir = path.join(sysfsDir, name);
    const total = await counter(dir, 'nr_hugepages', problems);
    const free = await counter(dir, 'free_hugepages', problems);
    if (total === undefined || free === undefined) continue;
    const reserved = (await counter(dir, 'resv_hugepages', problems)) ?? 0;
    const surplus = (await counter(dir, 'surplus_hugepages', undefined)) ?? 0;
    pools.push({ pageSizeBytes: Number(m[1]) * KIB, total, free, reserved, surplus, available: Math.max(0, free - reserved), source: 'sysfs', bound: 'node pool' });
  }
  if (pools.length === 0 && meminfo) {
    const { pageSizeBytes, total, free, reserved, surplus } = meminfo;
    pools.push({ pageSizeBytes, total, free, reserved, surplus, available: Math.max(0, free - reserved), source: 'meminfo', bound: 'node pool' });
  }
  pools.sort((a, b) => a.pageSizeBytes - b.pageSizeBytes);
  for (const pool of pools) {
    const limit = await readHugetlbLimit(root, pool.pageSizeBytes, problems);
    if (!limit) continue;
    pool.cgroup = limit;
    if (limit.availablePages < pool.available) {
      pool.available = limit.availablePages;
      pool.bound = 'hugetlb cgroup';
    }
  }
  return { meminfo, pools, problems };
}

/** Beyond this a v1 limit_in_bytes is the kernel's "unlimited" (PAGE_COUNTER_MAX pages). */
const UNLIMITED_BYTES = 2 ** 62;

/**
 * This process's hugetlb cgroup limit for one page size: undefined when no cgroup sets one (no
 * hugetlb controller, "max", v1's unlimited) or when it is 0 (see the file comment).
 */
export async function readHugetlbLimit(root: string, pageSizeBytes: number, problems: string[]): Promise<HugetlbLimit | undefined> {
  const label = hugetlbLabel(pageSizeBytes);
  const v2 = path.join(root, 'sys/fs/cgroup', `hugetlb.${label}`);
  const v1 = path.join(root, 'sys/fs/cgroup/hugetlb', `hugetlb.${label}`);
  for (const [limitFile, usageFile] of [
    [`${v2}.max`, `${v2}.current`],
    [`${v1}.limit_in_bytes`, `${v1}.usage_in_bytes`],
  ] as const) {
    let text: string;
    try {
      text = (await fsp.readFile(limitFile, 'utf8')).trim();
    } catch {
      continue;
    }
    if (text === 'max') return undefined;
    if (!/^\d+$/.test(text)) {
      problems.push(`${limitFile} is not a byte count`);
      return undefined;
    }
    const limitBytes = Number(text);
    if (limitBytes >= UNLIMITED_BYTES || limitBytes === 0) return undefined;
    const usageBytes = (await counter(path.dirname(usageFile), path.basename(usageFile), problems)) ?? limitBytes;
    return { limitBytes, usageBytes, availablePages: Math.max(0, Math.floor((limitBytes - usageBytes) / pageSizeBytes)), file: limitFile };
  }
  return undefined;
}

/** The kernel's name for a page size in hugetlb cgroup files: 2MB, 1GB, 64KB. */
function hugetlbLabel(bytes: number): string {
  if (bytes % (1024 * 1024 * 1024) === 0) return `${bytes / (1024 * 1024 * 1024)}GB`;
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)}MB`;
  return `${bytes / 1024}KB`;
}

/** The pool of one page size, if the node has it. */
export function poolOf(reading: HugepageReading, pageSizeBytes: number): HugepagePool | undefined {
  return reading.pools.find((p) => p.pageSizeBytes === pageSizeBytes);
}

/**
 * "1658 of 2048 free, 2 MiB each", and under a limit "; the hugetlb cgroup (FILE) allows 512 more"
 * or "; spdk_tgt's limit ... allows 100 more", with "(the bound)" on the one that applies.
 */
export function describePool(pool: Pick<HugepagePool, 'free' | 'total' | 'pageSizeBytes' | 'cgroup' | 'spdkLimit' | 'bound'>): string {
  const mark = (bound: HugepageBound): string => (pool.bound === bound ? ' (the bound)' : '');
  const cgroup = pool.cgroup ? `; the hugetlb cgroup (${pool.cgroup.file}) allows ${pool.cgroup.availablePages} more${mark('hugetlb cgroup')}` : '';
  const spdk = pool.spdkLimit ? `; ${describeSpdkLimit(pool.spdkLimit)}${mark('spdk_tgt limit')}` : '';
  return `${pool.free} of ${pool.total} free, ${formatPageSize(pool.pageSizeBytes)} each${cgroup}${spdk}`;
}

/** "spdk_tgt's limit (health.spdkHugepagesLimitBytes) of 2048 MiB, 40 MiB mapped, allows 1004 more". */
export function describeSpdkLimit(limit: SpdkLimit): string {
  return `spdk_tgt's limit (health.spdkHugepagesLimitBytes) of ${mibText(limit.limitBytes)}, ${mibText(limit.mappedBytes)} mapped, allows ${limit.availablePages} more`;
}

function mibText(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/**
 * Bounds `pages` (of `pageSizeBytes`) by spdk_tgt's limit of `limitBytes` with `mappedBytes` of that
 * size mapped: records the limit (returned too), and where it allows fewer pages than `available`
 * it is the bound.
 */
export function boundPagesBySpdkLimit(pages: BoundedPages, limitBytes: number, mappedBytes: number, pageSizeBytes: number): SpdkLimit {
  const limit = { limitBytes, mappedBytes, availablePages: Math.max(0, Math.floor((limitBytes - mappedBytes) / pageSizeBytes)) };
  pages.spdkLimit = limit;
  if (limit.availablePages < pages.available) {
    pages.available = limit.availablePages;
    pages.bound = 'spdk_tgt limit';
  }
  return limit;
}

/**
 * Bounds each pool with a configured limit by spdk_tgt's limit, given what spdk_tgt has mapped per
 * page size (its memory dump); sizes it maps none of count 0 mapped. Without the mapped figures
 * (no dump) nothing is bounded: the limit alone does not say how much of it is left.
 */
export function boundBySpdkLimit(reading: HugepageReading, limits: SpdkHugepageLimits, mapped: ReadonlyMap<number, number> | undefined): void {
  if (limits.size === 0 || !mapped) return;
  for (const pool of reading.pools) {
    const limitBytes = limits.get(pool.pageSizeBytes);
    if (limitBytes !== undefined) boundPagesBySpdkLimit(pool, limitBytes, mapped.get(pool.pageSizeBytes) ?? 0, pool.pageSizeBytes);
  }
}

/** Each bound of a pool with its figure: the node's pool (free minus reserved) first, then the cgroup and spdk_tgt's limit where they are set. */
export function boundFigures(pool: Pick<HugepagePool, 'free' | 'reserved' | 'cgroup' | 'spdkLimit'>): HugepageBoundFigure[] {
  const figures: HugepageBoundFigure[] = [{ bound: 'node pool', availablePages: Math.max(0, pool.free - pool.reserved) }];
  const { cgroup, spdkLimit } = pool;
  if (cgroup) figures.push({ bound: 'hugetlb cgroup', availablePages: cgroup.availablePages, limitBytes: cgroup.limitBytes, usedBytes: cgroup.usageBytes });
  if (spdkLimit) figures.push({ bound: 'spdk_tgt limit', availablePages: spdkLimit.availablePages, limitBytes: spdkLimit.limitBytes, usedBytes: spdkLimit.mappedBytes });
  return figures;
}

export function formatPageSize(bytes: number): string {
  if (bytes >= 1024 * 1024 * 1024 && bytes % (1024 * 1024 * 1024) === 0) return `${bytes / (1024 * 1024 * 1024)} GiB`;
  if (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  return `${bytes / 1024} KiB`;
}

async function counter(dir: string, file: string, problems: string[] | undefined): Promise<number | undefined> {
  const p = path.join(dir, file);
  try {
    const n = Number((await fsp.readFile(p, 'utf8')).trim());
    if (Number.isInteger(n) && n >= 0) return n;
    problems?.push(`${p} is not a count`);
  } catch (err) {
    problems?.push(`cannot read ${p}: ${reason(err)}`);
  }
  return undefined;
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'absent (ENOENT)';
  return code ?? (err instanceof Error ? err.message : String(err));
}
