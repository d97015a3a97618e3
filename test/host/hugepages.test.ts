/**
 * The node's hugepage pools from /proc/meminfo and /sys/kernel/mm/hugepages, read under a root
 * that tests point at a directory they build. The figures are the ones transcript 14 recorded on
 * the machine that ran spdk_tgt; absent files (macOS, containers) are a reading, never an error.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { boundBySpdkLimit, boundFigures, describePool, parseMeminfo, parseSpdkHugepageLimits, poolOf, readHugepages, spdkHugepageLimitsProblem } from '../../src/host/hugepages.js';

const TRANSCRIPT = fileURLToPath(new URL('../../../shared/spdk/transcripts/14-memory-exhaustion.jsonl', import.meta.url));
const MIB = 1024 * 1024;

type RecordedMeminfo = Record<'HugePages_Total' | 'HugePages_Free' | 'HugePages_Rsvd' | 'HugePages_Surp' | 'Hugepagesize' | 'Hugetlb', string>;

/** Every /proc/meminfo reading transcript 14 recorded (its `meminfo` fields). */
function recordedMeminfo(): RecordedMeminfo[] {
  return fs
    .readFileSync(TRANSCRIPT, 'utf8')
    .split('\n')
    .filter((l) => l.includes('"meminfo"'))
    .map((l) => (JSON.parse(l) as { meminfo: RecordedMeminfo }).meminfo);
}

/** /proc/meminfo as the kernel prints it, around the recorded HugePages lines. */
function meminfoText(m: RecordedMeminfo): string {
  return [
    'MemTotal:       16380564 kB',
    'MemFree:         9151420 kB',
    'AnonHugePages:         0 kB',
    `HugePages_Total:    ${m.HugePages_Total}`,
    `HugePages_Free:     ${m.HugePages_Free}`,
    `HugePages_Rsvd:     ${m.HugePages_Rsvd}`,
    `HugePages_Surp:     ${m.HugePages_Surp}`,
    `Hugepagesize:       ${m.Hugepagesize}`,
    `Hugetlb:         ${m.Hugetlb}`,
    'DirectMap4k:      335744 kB',
    '',
  ].join('\n');
}

let dirs: string[] = [];
afterEach(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function hostRoot(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hugepages-'));
  dirs.push(root);
  for (const [file, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), text);
  }
  return root;
}

function sysfsPool(sizeKb: number, nr: number, free: number, resv: number): Record<string, string> {
  const dir = `sys/kernel/mm/hugepages/hugepages-${sizeKb}kB`;
  return {
    [`${dir}/nr_hugepages`]: `${nr}\n`,
    [`${dir}/free_hugepages`]: `${free}\n`,
    [`${dir}/resv_hugepages`]: `${resv}\n`,
    [`${dir}/surplus_hugepages`]: '0\n',
    [`${dir}/nr_overcommit_hugepages`]: '0\n',
  };
}

describe('parseMeminfo', () => {
  it('reads every HugePages_* line transcript 14 recorded', () => {
    const recorded = recordedMeminfo();
    expect(recorded.length).toBeGreaterThan(20);
    for (const m of recorded) {
      expect(parseMeminfo(meminfoText(m))).toEqual({
        total: Number(m.HugePages_Total),
        free: Number(m.HugePages_Free),
        reserved: Number(m.HugePages_Rsvd),
        surplus: Number(m.HugePages_Surp),
        pageSizeBytes: 2 * MIB,
        hugetlbBytes: Number.parseInt(m.Hugetlb, 10) * 1024,
      });
    }
  });

  it('says undefined for a kernel without hugetlbfs (no HugePages_* lines)', () => {
    expect(parseMeminfo('MemTotal:       16380564 kB\nMemFree:         9151420 kB\n')).toBeUndefined();
  });
});

describe('readHugepages', () => {
  // Transcript 14, spdk_tgt -s 256 right after start: 1658 of 2048 pages free.
  const recorded = recordedMeminfo().find((m) => m.HugePages_Free === '1658')!;

  it('reads one pool per page size from sysfs, smallest first, with what is still available', async () => {
    const root = hostRoot({ 'proc/meminfo': meminfoText(recorded), ...sysfsPool(1048576, 2, 2, 0), ...sysfsPool(2048, 2048, 1658, 10) });
    const r = await readHugepages(root);
    expect(r.problems).toEqual([]);
    expect(r.meminfo).toMatchObject({ total: 2048, free: 1658, pageSizeBytes: 2 * MIB });
    expect(r.pools).toEqual([
      { pageSizeBytes: 2 * MIB, total: 2048, free: 1658, reserved: 10, surplus: 0, available: 1648, source: 'sysfs', bound: 'node pool' },
      { pageSizeBytes: 1024 * MIB, total: 2, free: 2, reserved: 0, surplus: 0, available: 2, source: 'sysfs', bound: 'node pool' },
    ]);
    expect(poolOf(r, 2 * MIB)?.available).toBe(1648);
    expect(describePool(poolOf(r, 2 * MIB)!)).toBe('1658 of 2048 free, 2 MiB each');
    expect(describePool(poolOf(r, 1024 * MIB)!)).toBe('2 of 2 free, 1 GiB each');
  });

  it('falls back to the default pool of /proc/meminfo where /sys is not mounted (a container)', async () => {
    const r = await readHugepages(hostRoot({ 'proc/meminfo': meminfoText(recorded) }));
    expect(r.pools).toEqual([{ pageSizeBytes: 2 * MIB, total: 2048, free: 1658, reserved: 0, surplus: 0, available: 1658, source: 'meminfo', bound: 'node pool' }]);
    expect(r.problems).toEqual([expect.stringMatching(/sys\/kernel\/mm\/hugepages: absent \(ENOENT\)$/)]);
  });

  it('says what is missing, without throwing, when neither file exists (macOS)', async () => {
    const r = await readHugepages(path.join(hostRoot({}), 'nothing-here'));
    expect(r.meminfo).toBeUndefined();
    expect(r.pools).toEqual([]);
    expect(r.problems).toEqual([expect.stringMatching(/proc\/meminfo: absent \(ENOENT\)$/), expect.stringMatching(/hugepages: absent \(ENOENT\)$/)]);
  });

  it('skips a pool whose counters cannot be read, and says which', async () => {
    const root = hostRoot({ 'proc/meminfo': 'MemTotal: 1 kB\n', 'sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages': '16\n' });
    const r = await readHugepages(root);
    expect(r.pools).toEqual([]);
    expect(r.problems).toEqual([expect.stringMatching(/no HugePages_\* lines/), expect.stringMatching(/free_hugepages: absent \(ENOENT\)$/)]);
  });

  it('reads this machine without throwing, whatever it has', async () => {
    const r = await readHugepages();
    expect(Array.isArray(r.pools)).toBe(true);
    for (const p of r.pools) expect(p.available).toBeLessThanOrEqual(p.free);
  });
});

describe('readHugepages under a hugetlb cgroup limit', () => {
  const recorded = recordedMeminfo().find((m) => m.HugePages_Free === '1658')!;
  const node = (): Record<string, string> => ({ 'proc/meminfo': meminfoText(recorded), ...sysfsPool(2048, 2048, 1658, 10) });

  it('takes the smaller of the pool and a cgroup v2 limit (a pod with hugepages-2Mi: 512Mi, 200 MiB of it used)', async () => {
    const r = await readHugepages(hostRoot({ ...node(), 'sys/fs/cgroup/hugetlb.2MB.max': `${512 * MIB}\n`, 'sys/fs/cgroup/hugetlb.2MB.current': `${200 * MIB}\n` }));
    expect(r.problems).toEqual([]);
    const pool = poolOf(r, 2 * MIB)!;
    expect(pool.available).toBe(156);
    expect(pool.cgroup).toEqual({ limitBytes: 512 * MIB, usageBytes: 200 * MIB, availablePages: 156, file: expect.stringMatching(/sys\/fs\/cgroup\/hugetlb\.2MB\.max$/) });
    expect(pool.bound).toBe('hugetlb cgroup');
    expect(describePool(pool)).toMatch(/^1658 of 2048 free, 2 MiB each; the hugetlb cgroup \(.*hugetlb\.2MB\.max\) allows 156 more \(the bound\)$/);
  });

  it('reads a cgroup v1 limit, and keeps the pool where the cgroup allows more than it has', async () => {
    const tight = await readHugepages(hostRoot({ ...node(), 'sys/fs/cgroup/hugetlb/hugetlb.2MB.limit_in_bytes': `${64 * MIB}\n`, 'sys/fs/cgroup/hugetlb/hugetlb.2MB.usage_in_bytes': '0\n' }));
    expect(poolOf(tight, 2 * MIB)!.available).toBe(32);
    const loose = await readHugepages(hostRoot({ ...node(), 'sys/fs/cgroup/hugetlb.2MB.max': `${8192 * MIB}\n`, 'sys/fs/cgroup/hugetlb.2MB.current': '0\n' }));
    expect(poolOf(loose, 2 * MIB)!.available).toBe(1648);
    expect(poolOf(loose, 2 * MIB)!.cgroup?.availablePages).toBe(4096);
  });

  it('applies no limit for "max", v1 unlimited, a 0 limit (a container without hugepages, not spdk_tgt\'s) or a size it does not name', async () => {
    const cases: Record<string, string>[] = [
      { 'sys/fs/cgroup/hugetlb.2MB.max': 'max\n', 'sys/fs/cgroup/hugetlb.2MB.current': '0\n' },
      { 'sys/fs/cgroup/hugetlb/hugetlb.2MB.limit_in_bytes': '9223372036854771712\n', 'sys/fs/cgroup/hugetlb/hugetlb.2MB.usage_in_bytes': '0\n' },
      { 'sys/fs/cgroup/hugetlb.2MB.max': '0\n', 'sys/fs/cgroup/hugetlb.2MB.current': '0\n' },
      { 'sys/fs/cgroup/hugetlb.1GB.max': `${1024 * MIB}\n`, 'sys/fs/cgroup/hugetlb.1GB.current': '0\n' },
    ];
    for (const files of cases) {
      const r = await readHugepages(hostRoot({ ...node(), ...files }));
      expect(r.problems, JSON.stringify(files)).toEqual([]);
      expect(poolOf(r, 2 * MIB), JSON.stringify(files)).toEqual({ pageSizeBytes: 2 * MIB, total: 2048, free: 1658, reserved: 10, surplus: 0, available: 1648, source: 'sysfs', bound: 'node pool' });
    }
  });

  it('says so when the limit file holds no byte count, and keeps the pool', async () => {
    const r = await readHugepages(hostRoot({ ...node(), 'sys/fs/cgroup/hugetlb.2MB.max': 'lots\n' }));
    expect(r.problems).toEqual([expect.stringMatching(/hugetlb\.2MB\.max is not a byte count$/)]);
    expect(poolOf(r, 2 * MIB)!.available).toBe(1648);
  });
});

describe("spdk_tgt's limit from the configuration (health.spdkHugepagesLimitBytes)", () => {
  const recorded = recordedMeminfo().find((m) => m.HugePages_Free === '1658')!;
  const node = (): Record<string, string> => ({ 'proc/meminfo': meminfoText(recorded), ...sysfsPool(2048, 2048, 1658, 10), ...sysfsPool(1048576, 2, 2, 0) });
  const GIB = 1024 * MIB;

  it('parses SIZE=BYTES pairs, sizes spelled as Kubernetes names them (hugepages-2Mi)', () => {
    expect(parseSpdkHugepageLimits(undefined)).toEqual(new Map());
    expect(parseSpdkHugepageLimits('2Mi=2147483648')).toEqual(new Map([[2 * MIB, 2 * GIB]]));
    expect(parseSpdkHugepageLimits(' 2Mi = 2147483648 , 1Gi=4294967296')).toEqual(
      new Map([
        [2 * MIB, 2 * GIB],
        [GIB, 4 * GIB],
      ]),
    );
    expect(parseSpdkHugepageLimits('2Mi=0')).toEqual(new Map([[2 * MIB, 0]]));
  });

  it('says what is wrong with a malformed value', () => {
    expect(spdkHugepageLimitsProblem('2147483648')).toMatch(/^"2147483648" is not SIZE=BYTES: expected SIZE=BYTES pairs separated by commas/);
    expect(spdkHugepageLimitsProblem('2Mi=2Gi')).toMatch(/^"2Mi=2Gi" is not SIZE=BYTES/);
    expect(spdkHugepageLimitsProblem('2MB=1024')).toMatch(/^"2MB=1024" is not SIZE=BYTES/);
    expect(spdkHugepageLimitsProblem('3Mi=1024')).toMatch(/^3Mi is not a hugepage size/);
    expect(spdkHugepageLimitsProblem('2Mi=1,2Mi=2')).toBe('2Mi is given twice');
    expect(spdkHugepageLimitsProblem('2Mi=99999999999999999999')).toMatch(/past the largest exact integer$/);
    expect(() => parseSpdkHugepageLimits('2Mi')).toThrow(/^health\.spdkHugepagesLimitBytes: "2Mi" is not SIZE=BYTES/);
  });

  it('bounds a pool by the limit minus what spdk_tgt has mapped of that size, and says it is the bound', async () => {
    const r = await readHugepages(hostRoot(node()));
    // spdk-tgt's container limit 64 MiB, 40 MiB of it mapped: 12 pages more, below the node's 1648.
    boundBySpdkLimit(r, parseSpdkHugepageLimits('2Mi=67108864'), new Map([[2 * MIB, 40 * MIB]]));
    const pool = poolOf(r, 2 * MIB)!;
    expect(pool).toMatchObject({ free: 1658, available: 12, bound: 'spdk_tgt limit', spdkLimit: { limitBytes: 64 * MIB, mappedBytes: 40 * MIB, availablePages: 12 } });
    expect(describePool(pool)).toBe("1658 of 2048 free, 2 MiB each; spdk_tgt's limit (health.spdkHugepagesLimitBytes) of 64 MiB, 40 MiB mapped, allows 12 more (the bound)");
    // A size the key does not name keeps its pool.
    expect(poolOf(r, GIB)).toMatchObject({ available: 2, bound: 'node pool' });
    expect(poolOf(r, GIB)!.spdkLimit).toBeUndefined();
  });

  it('keeps the pool where the limit allows more, and the smallest of pool, cgroup and limit wins', async () => {
    const loose = await readHugepages(hostRoot(node()));
    boundBySpdkLimit(loose, parseSpdkHugepageLimits('2Mi=8589934592'), new Map([[2 * MIB, 40 * MIB]]));
    expect(poolOf(loose, 2 * MIB)).toMatchObject({ available: 1648, bound: 'node pool', spdkLimit: { availablePages: 4076 } });
    expect(describePool(poolOf(loose, 2 * MIB)!)).toBe("1658 of 2048 free, 2 MiB each; spdk_tgt's limit (health.spdkHugepagesLimitBytes) of 8192 MiB, 40 MiB mapped, allows 4076 more");

    // cgroup: 156 more; spdk_tgt's limit: 500 more. The cgroup is the bound.
    const cgroup = { 'sys/fs/cgroup/hugetlb.2MB.max': `${512 * MIB}\n`, 'sys/fs/cgroup/hugetlb.2MB.current': `${200 * MIB}\n` };
    const both = await readHugepages(hostRoot({ ...node(), ...cgroup }));
    boundBySpdkLimit(both, parseSpdkHugepageLimits('2Mi=1048576000'), new Map([[2 * MIB, 0]]));
    expect(poolOf(both, 2 * MIB)).toMatchObject({ available: 156, bound: 'hugetlb cgroup', spdkLimit: { availablePages: 500 } });
    // Each bound's figure, as NodeStats and the metrics show them: the pool's free minus reserved first.
    expect(boundFigures(poolOf(both, 2 * MIB)!)).toEqual([
      { bound: 'node pool', availablePages: 1648 },
      { bound: 'hugetlb cgroup', availablePages: 156, limitBytes: 512 * MIB, usedBytes: 200 * MIB },
      { bound: 'spdk_tgt limit', availablePages: 500, limitBytes: 1048576000, usedBytes: 0 },
    ]);
    // spdk_tgt mapped past its limit (a limit lowered since): none more, never negative.
    const over = await readHugepages(hostRoot({ ...node(), ...cgroup }));
    boundBySpdkLimit(over, parseSpdkHugepageLimits('2Mi=67108864'), new Map([[2 * MIB, 100 * MIB]]));
    expect(poolOf(over, 2 * MIB)).toMatchObject({ available: 0, bound: 'spdk_tgt limit', spdkLimit: { availablePages: 0 } });
  });

  it('bounds nothing without what spdk_tgt has mapped (no memory dump): the limit alone does not say what is left', async () => {
    const r = await readHugepages(hostRoot(node()));
    boundBySpdkLimit(r, parseSpdkHugepageLimits('2Mi=67108864'), undefined);
    expect(poolOf(r, 2 * MIB)).toMatchObject({ available: 1648, bound: 'node pool' });
    expect(poolOf(r, 2 * MIB)!.spdkLimit).toBeUndefined();
  });
});
