/**
 * How the transcripts were recorded, as replay sessions: which files ran on the same pair of
 * targets, with which memory options, and what happened outside the RPC stream (restarts, data
 * written by spdk_dd, the hugepage pool shrunk) that the replay must reproduce.
 */

export type TargetName = 'A' | 'B';

export type Action =
  | { readonly kind: 'restart'; readonly target: TargetName; readonly args: readonly string[] }
  /** kill -9: the target dies without a word; a later `restart` starts it again on the same disk files. */
  | { readonly kind: 'kill'; readonly target: TargetName }
  /** spdk_tgt failed to start with these options: the simulator must fail too. */
  | { readonly kind: 'start-fails'; readonly args: readonly string[] }
  | { readonly kind: 'rpc'; readonly target: TargetName; readonly method: string; readonly params?: unknown }
  | { readonly kind: 'grow-disk'; readonly file: string; readonly bytes: number }
  /** Waits (deadline `ms`) until `method` on `target` answers a result that `done` accepts: what the recorder's pause let happen. */
  | { readonly kind: 'await'; readonly target: TargetName; readonly method: string; readonly done: (result: unknown) => boolean; readonly ms: number };

/** A `files` entry: a transcript, or `<file>@<from>-<to>` for its lines from..to (0-based, inclusive; `to` may be left out). */
export function filePart(part: string): { file: string; from: number; to: number } {
  const [file, range] = part.split('@') as [string, string | undefined];
  if (range === undefined) return { file, from: 0, to: Number.POSITIVE_INFINITY };
  const [from, to] = range.split('-');
  return { file, from: Number(from), to: to ? Number(to) : Number.POSITIVE_INFINITY };
}

export interface SessionPlan {
  readonly name: string;
  readonly files: readonly string[];
  readonly start: Partial<Record<TargetName, readonly string[]>>;
  /** Actions before the line `file:index` is replayed. */
  readonly before?: Readonly<Record<string, readonly Action[]>>;
  /** Files replayed at the recorded pace (timed scenarios: controller loss, blips, listener removal). */
  readonly paced?: readonly string[];
  /** Files recorded under host write I/O: the replay keeps writing to this bdev meanwhile. */
  readonly writers?: Readonly<Record<string, { readonly target: TargetName; readonly bdev: string }>>;
  /** Sparse disk images to create under the session's disk dir (recorded as /var/lib/spdk-disks). */
  readonly disks?: Readonly<Record<string, number>>;
  /** Result keys whose values must match the recording, not only their types. */
  readonly exact?: readonly string[];
  /** Methods whose answers are re-asked while the simulator is behind the recording (as timed polls are in paced files). */
  readonly polls?: readonly string[];
  /**
   * Lines (`file:index`) sent together with the next one, before its answer: a race the recorder
   * caught by chance (a request that came while spdk_tgt was still busy with the one before).
   */
  readonly together?: readonly string[];
}

const MIB = 1024 * 1024;
const GIB = 1024 * MIB;

/** Transcript 17 kills A three times and B twice (kill -9) and starts them again on the same aio files. */
const F17 = '17-raid1-superblock-restart.jsonl';
const killAndRestart = (target: TargetName, killBefore: number, restartBefore: number): Record<string, Action[]> => ({
  [`${F17}:${killBefore}`]: [{ kind: 'kill', target }],
  [`${F17}:${restartBefore}`]: [{ kind: 'restart', target, args: [] }],
});

/** Transcript 14 restarts A with the options each phase note names. */
const F14 = '14-memory-exhaustion.jsonl';
const legacy = (mib: number) => ['--mem-mib', String(mib)];
const noHuge = (mib: number) => ['--mem-mib', String(mib), '--no-huge'];

export const SESSIONS: readonly SessionPlan[] = [
  {
    // 01-13: one recording session on the same two targets (ids restart per file, state does not).
    name: 'main (01-13)',
    files: [
      '01-info-and-setup.jsonl',
      '02-replica-loss-idle.jsonl',
      '03-rebuild-throttled.jsonl',
      '04-replica-loss-under-io.jsonl',
      '05-rebuild-unthrottled.jsonl',
      '06-remove-readd-and-transient-blip.jsonl',
      '07-shallow-copy-and-set-parent.jsonl',
      '08-errors.jsonl',
      '09-framing-and-protocol-errors.jsonl',
      '10-latency-spdk_get_version.jsonl',
      '11-create-1000-lvols.jsonl',
      // By their timestamps 13 ran between 12's line 39 and its "B STOPPED" run (lines 40-42).
      '12-latency-bdev_get_bdevs-1000-lvols.jsonl@0-39',
      '13-raid1-superblock-rebuild.jsonl',
      '12-latency-bdev_get_bdevs-1000-lvols.jsonl@40',
    ],
    start: { A: [], B: [] },
    // Timed scenarios (controller loss, rebuild progress, blips, shallow-copy progress) keep their pace.
    paced: [
      '02-replica-loss-idle.jsonl',
      '03-rebuild-throttled.jsonl',
      '04-replica-loss-under-io.jsonl',
      '05-rebuild-unthrottled.jsonl',
      '06-remove-readd-and-transient-blip.jsonl',
      '07-shallow-copy-and-set-parent.jsonl',
      '13-raid1-superblock-rebuild.jsonl',
    ],
    // 07's copy checks (lines 6-7) are re-asked while the simulator's copy is behind spdk_tgt's,
    // which was done within 8 ms: "complete" once, then -19 (the operation is forgotten).
    polls: ['bdev_lvol_check_shallow_copy'],
    // 07's start (line 28) came 3.8 ms after bdev_malloc_create answered, while examine still had
    // the new bdev open (-32602 Operation not permitted); the simulator holds a new bdev for the
    // rest of the poll that registered it, so the two go in one poll.
    together: ['07-shallow-copy-and-set-parent.jsonl:27'],
    // 04 ran with a host writing to the exported raid1 (through vol1 on A) the whole time.
    writers: { '04-replica-loss-under-io.jsonl': { target: 'A', bdev: 'raid1' } },
    // 12's last run was recorded with B stopped ("B STOPPED"): A's controllers to B had reached
    // ctrlr-loss and the raid had lost its remote member.
    before: {
      '12-latency-bdev_get_bdevs-1000-lvols.jsonl:40': [
        { kind: 'kill', target: 'B' },
        { kind: 'await', target: 'A', method: 'bdev_nvme_get_controllers', done: (r) => Array.isArray(r) && r.length === 0, ms: 60_000 },
      ],
    },
    disks: { 'lvs1k.img': 4 * GIB },
  },
  {
    name: 'memory (14)',
    files: [F14],
    start: {},
    // Not paced (112 s): the rebuild polls (lines 4849-4851: 64 KiB windows, done within 4 ms on
    // spdk_tgt) are re-asked while the simulator's rebuild is still running.
    polls: ['bdev_raid_get_bdevs'],
    before: {
      [`${F14}:3`]: [{ kind: 'restart', target: 'A', args: [] }],
      [`${F14}:9`]: [{ kind: 'start-fails', args: noHuge(256) }],
      [`${F14}:12`]: [{ kind: 'start-fails', args: legacy(256) }],
      [`${F14}:15`]: [{ kind: 'start-fails', args: legacy(512) }],
      [`${F14}:18`]: [{ kind: 'start-fails', args: legacy(768) }],
      [`${F14}:21`]: [{ kind: 'start-fails', args: noHuge(800) }],
      [`${F14}:25`]: [{ kind: 'restart', target: 'A', args: noHuge(850) }],
      [`${F14}:32`]: [
        { kind: 'restart', target: 'A', args: legacy(1024) },
        { kind: 'restart', target: 'B', args: [] },
      ],
      [`${F14}:139`]: [{ kind: 'restart', target: 'A', args: noHuge(852) }],
      [`${F14}:4720`]: [{ kind: 'restart', target: 'A', args: noHuge(1024) }],
      [`${F14}:4779`]: [{ kind: 'restart', target: 'A', args: noHuge(1024) }],
      [`${F14}:4856`]: [{ kind: 'restart', target: 'A', args: [] }],
      // "echo 841 > /proc/sys/vm/nr_hugepages": 40 pages left free; later restored (1207 free).
      [`${F14}:4861`]: [{ kind: 'rpc', target: 'A', method: 'sim_set_memory', params: { hugepages_free: 40 } }],
      [`${F14}:4891`]: [{ kind: 'rpc', target: 'A', method: 'sim_set_memory', params: { hugepages_free: 1207 } }],
    },
  },
  {
    // A raid1 with a superblock over a local lvol and a remote one; the restarts re-assemble it on examine.
    name: 'raid superblock restart (17)',
    files: [F17],
    start: { A: [], B: [] },
    disks: { 'a17.img': 256 * MIB, 'b17.img': 256 * MIB },
    // The stale member's rebuild (lines 67-70) is polled at the recorded pace.
    paced: [F17],
    before: {
      ...killAndRestart('A', 25, 27),
      ...killAndRestart('A', 55, 57),
      ...killAndRestart('A', 79, 81),
      ...killAndRestart('B', 101, 104),
      [`${F17}:134`]: [
        { kind: 'kill', target: 'B' },
        { kind: 'restart', target: 'B', args: [] },
      ],
    },
  },
  { name: 'nvmf hosts (15)', files: ['15-nvmf-hosts-and-ana.jsonl'], start: { A: [], B: [] }, paced: ['15-nvmf-hosts-and-ana.jsonl'] },
  {
    // spdk_dd's runs (notes) become sim_bdev_write/read; paced for the rebuild and the QoS-bound write.
    name: 'iostat and qos (19)',
    files: ['19-iostat-qos.jsonl'],
    start: { A: [] },
    paced: ['19-iostat-qos.jsonl'],
    disks: { 'a19.img': 512 * MIB },
  },
  // Two targets with keyring, DH-HMAC-CHAP and TLS; the key files come from the first note line.
  // Key reference counts, removal, controller states and the negotiated digest/group must match.
  {
    name: 'dhchap and tls psk (18)',
    files: ['18-dhchap-and-tls-psk.jsonl'],
    start: { A: [], B: [] },
    exact: ['refcnt', 'removed', 'probed', 'module', 'state', 'digest', 'dhgroup', 'dhchap_key', 'dhchap_ctrlr_key', 'allow_any_host'],
  },
  {
    // The sparse images the recorder made under /var/tmp/rec/bk20 (the staging files are new and empty).
    name: 'backup data path (20)',
    files: ['20-backup-restore-datapath.jsonl'],
    start: { A: [] },
    // The copies' final states must match: the staging files are measured once the recording saw them complete.
    exact: ['state', 'copied_clusters', 'total_clusters'],
    polls: ['bdev_lvol_check_shallow_copy'],
    disks: {
      'bk20/lvs.img': 512 * MIB,
      'bk20/bk1.img': 32 * MIB,
      'bk20/bk2.img': 32 * MIB,
      'bk20/bkfull.img': 32 * MIB,
      'bk20/small.img': 16 * MIB,
      'bk20/small2.img': 16 * MIB,
    },
  },
  {
    // A raid1 over a local and a remote lvol, both grown; pause/resume probes; snapshots of both members.
    name: 'expand and quiesce (21)',
    files: ['21-expand-and-quiesce.jsonl'],
    start: { A: [], B: [] },
    disks: { 'a21.img': 256 * MIB, 'b21.img': 256 * MIB },
  },
  {
    name: 'lvol chains (16)',
    files: ['16-lvol-chains.jsonl'],
    start: { A: [], B: [] },
    disks: { 'aio512.img': 64 * MIB, 'aio4k.img': 64 * MIB, 'lvs16.img': 256 * MIB },
    before: {
      // Line 21 shows aio4k with 24576 blocks after bdev_aio_rescan: the file had grown to 96 MiB.
      ['16-lvol-chains.jsonl:20']: [{ kind: 'grow-disk', file: 'aio4k.img', bytes: 96 * MIB }],
    },
  },
];
