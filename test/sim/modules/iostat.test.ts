/**
 * I/O statistics, QoS and the NVMe multipath policy on simulators as real processes (transcript 19
 * and lib/bdev/bdev_rpc.c, module/bdev/nvme/bdev_nvme_rpc.c of v26.05): counters that count what
 * the simulator served (sim_bdev_* and NVMe/TCP host I/O), reset modes, per_channel, QoS limits
 * (rounding, clamping, errors, bdev_get_bdevs and framework_get_config) and their enforcement.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ParamSpec } from '../../../spdk/sim/core/decode.js';
import { IOSTAT_PARAM_SPECS } from '../../../spdk/sim/bdev/iostat.js';
import { rawExchange, RpcFailure, SimClient } from '../helpers/sim-client.js';
import { startSim, type RunningSim } from '../helpers/start-sim.js';
import { freePort, pattern } from './fake-target.js';

const DECODE_FAILED = new RpcFailure(-32603, 'spdk_json_decode_object failed');
const NQN = 'nqn.2016-06.io.spdk:iostat';
const KIB = 1024;

const COUNTERS = ['bytes_read', 'num_read_ops', 'bytes_written', 'num_write_ops', 'write_latency_ticks', 'max_write_latency_ticks', 'min_write_latency_ticks'] as const;
type Stat = Record<(typeof COUNTERS)[number], number> & { name: string; io_error: Record<string, number>; driver_specific?: unknown };
interface Iostat {
  tick_rate: number;
  ticks: number;
  bdevs: Stat[];
}
interface PerChannel {
  tick_rate: number;
  ticks: number;
  name: string;
  channels: Array<Stat & { thread_id: number }>;
}

const running: RunningSim[] = [];
const clients: SimClient[] = [];
let a: SimClient;
let b: SimClient;
/** Each target's socket by name, for requests that must be sent byte for byte. */
const sockets = new Map<string, string>();

async function sim(name: string): Promise<SimClient> {
  const proc = await startSim({ name });
  running.push(proc);
  sockets.set(name, proc.socket);
  const rpc = await SimClient.connect(proc.socket);
  clients.push(rpc);
  return rpc;
}

async function write(rpc: SimClient, name: string, lba: number, bytes: number): Promise<void> {
  await rpc.call('sim_bdev_write', { name, offset_blocks: lba, data_base64: pattern(bytes / 4096, lba).toString('base64') });
}

async function stat(rpc: SimClient, name: string, params: Record<string, unknown> = {}): Promise<Stat> {
  const r = await rpc.call<Iostat>('bdev_get_iostat', { names: [name], ...params });
  return r.bdevs[0]!;
}

beforeAll(async () => {
  [a, b] = await Promise.all([sim('A'), sim('B')]);
}, 30_000);

afterAll(async () => {
  for (const c of clients) c.close();
  await Promise.all(running.map((r) => r.stop()));
});

describe('bdev_get_iostat', () => {
  it('counts the reads and writes served, with latencies, on the poll group channel', async () => {
    await a.call('bdev_malloc_create', { name: 'm1', num_blocks: 256, block_size: 4096 });
    await a.call('bdev_wait_for_examine');
    // Examine read the new bdev (a superblock probe), as spdk_tgt's examine does: start from zero.
    await a.call('bdev_reset_iostat', { name: 'm1' });
    const before = await stat(a, 'm1');
    expect(before).toMatchObject({ name: 'm1', bytes_read: 0, num_read_ops: 0, bytes_written: 0, num_write_ops: 0, min_write_latency_ticks: 0, io_error: {} });

    for (const lba of [0, 2, 4]) await write(a, 'm1', lba, 8 * KIB);
    await a.call('sim_bdev_read', { name: 'm1', offset_blocks: 0, num_blocks: 1 });

    const r = await a.call<Iostat>('bdev_get_iostat', { names: ['m1'] });
    expect(r.tick_rate).toBe(2_100_000_000);
    expect(r.ticks).toBeGreaterThan(0);
    const s = r.bdevs[0]!;
    expect(s).toMatchObject({ bytes_written: 24 * KIB, num_write_ops: 3, bytes_read: 4 * KIB, num_read_ops: 1, bytes_unmapped: 0, num_copy_ops: 0 });
    expect(s.min_write_latency_ticks).toBeGreaterThan(0);
    expect(s.max_write_latency_ticks).toBeGreaterThanOrEqual(s.min_write_latency_ticks);
    expect(s.write_latency_ticks).toBeGreaterThanOrEqual(s.max_write_latency_ticks);
    // The keys and their order of spdk_bdev_dump_io_stat_json (transcript 19).
    expect(Object.keys(s)).toEqual(Object.keys((await recordedIostat()).bdevs[0]!));

    const ch = await a.call<PerChannel>('bdev_get_iostat', { names: ['m1'], per_channel: true });
    expect(ch.name).toBe('m1');
    expect(ch.channels).toHaveLength(1);
    expect(ch.channels[0]).toMatchObject({ thread_id: 2, bytes_written: 24 * KIB, num_write_ops: 3, num_read_ops: 1, io_error: {} });

    const all = await a.call<Iostat>('bdev_get_iostat');
    expect(all.bdevs.map((x) => x.name)).toContain('m1');
  });

  it('counts an lvol write on the lvol and what it caused on its base bdev', async () => {
    await a.call('bdev_malloc_create', { name: 'm2', num_blocks: 2048, block_size: 4096 });
    await a.call('bdev_lvol_create_lvstore', { bdev_name: 'm2', lvs_name: 'ls2', cluster_sz: 1024 * KIB });
    const uuid = await a.call<string>('bdev_lvol_create', { lvs_name: 'ls2', lvol_name: 'v', size_in_mib: 4, thin_provision: true });
    const base0 = await stat(a, 'm2');
    await write(a, 'ls2/v', 0, 64 * KIB);
    const lvol = await stat(a, 'ls2/v');
    expect(lvol).toMatchObject({ name: uuid, bytes_written: 64 * KIB, num_write_ops: 1 });
    const base = await stat(a, 'm2');
    // The data itself, plus the new cluster's allocation (zeroes, metadata).
    expect(base.bytes_written - base0.bytes_written).toBeGreaterThanOrEqual(64 * KIB);
    expect(base.num_write_ops).toBeGreaterThan(base0.num_write_ops);
  });

  it('counts NVMe/TCP host I/O on the exported bdev and on the host bdev', async () => {
    await b.call('bdev_malloc_create', { name: 'rep', num_blocks: 1024, block_size: 4096 });
    await b.call('nvmf_create_transport', { trtype: 'TCP' });
    const port = String(await freePort());
    await b.call('nvmf_create_subsystem', { nqn: NQN, allow_any_host: true });
    await b.call('nvmf_subsystem_add_ns', { nqn: NQN, namespace: { bdev_name: 'rep' } });
    // An exported bdev has its poll group channel before any I/O (transcript 19, line 17).
    expect((await b.call<PerChannel>('bdev_get_iostat', { names: ['rep'], per_channel: true })).channels).toMatchObject([{ thread_id: 2, num_write_ops: 0 }]);
    await b.call('nvmf_subsystem_add_listener', { nqn: NQN, listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port } });
    await a.call('bdev_nvme_attach_controller', { name: 'n', trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port, subnqn: NQN });
    await a.call('bdev_wait_for_examine');
    await a.call('bdev_reset_iostat', { name: 'nn1' });
    const target0 = await stat(b, 'rep');
    await write(a, 'nn1', 8, 128 * KIB);
    await a.call('sim_bdev_read', { name: 'nn1', offset_blocks: 8, num_blocks: 16 });

    const target = await stat(b, 'rep');
    expect(target.bytes_written - target0.bytes_written).toBe(128 * KIB);
    expect(target.num_write_ops - target0.num_write_ops).toBe(1);
    expect(target.bytes_read - target0.bytes_read).toBe(64 * KIB);
    const channel = (await b.call<PerChannel>('bdev_get_iostat', { names: ['rep'], per_channel: true })).channels[0]!;
    expect(channel).toMatchObject({ thread_id: 2, bytes_written: 128 * KIB, num_write_ops: 1 });

    const host = await stat(a, 'nn1');
    expect(host).toMatchObject({ bytes_written: 128 * KIB, num_write_ops: 1, bytes_read: 64 * KIB });
    // bdev_nvme has dump_device_stat_json: an (empty, without nvme_error_stat) driver_specific.
    expect(host['driver_specific']).toEqual({});
  });

  it('counts failed I/O in io_error, not in the counters', async () => {
    await a.call('bdev_malloc_create', { name: 'm3', num_blocks: 64, block_size: 4096 });
    await a.call('sim_bdev_fail_io', { name: 'm3', enable: true });
    await expect(write(a, 'm3', 0, 4 * KIB)).rejects.toMatchObject({ code: -5 });
    await a.call('sim_bdev_fail_io', { name: 'm3', enable: false });
    expect(await stat(a, 'm3')).toMatchObject({ num_write_ops: 0, io_error: { failed: 1 } });
    await a.call('bdev_reset_iostat', { name: 'm3', mode: 'error' });
    expect((await stat(a, 'm3')).io_error).toEqual({});
  });

  it('resets max/min after reading with reset_mode maxmin, everything with bdev_reset_iostat', async () => {
    await a.call('bdev_malloc_create', { name: 'm4', num_blocks: 64, block_size: 4096 });
    await write(a, 'm4', 0, 4 * KIB);
    const read = await stat(a, 'm4', { reset_mode: 'maxmin' });
    expect(read.max_write_latency_ticks).toBeGreaterThan(0);
    const after = await stat(a, 'm4');
    expect(after).toMatchObject({ num_write_ops: 1, bytes_written: 4 * KIB, max_write_latency_ticks: 0, min_write_latency_ticks: 0 });
    expect(after.write_latency_ticks).toBe(read.write_latency_ticks);

    expect(await a.call('bdev_reset_iostat', { name: 'm4', mode: 'none' })).toBe(true);
    expect((await stat(a, 'm4')).num_write_ops).toBe(1);
    expect(await a.call('bdev_reset_iostat', { name: 'm4', mode: 'all' })).toBe(true);
    expect(await stat(a, 'm4')).toMatchObject({ num_write_ops: 0, bytes_written: 0, write_latency_ticks: 0 });

    await write(a, 'm4', 1, 4 * KIB);
    await write(a, 'm1', 1, 4 * KIB);
    expect(await a.call('bdev_reset_iostat')).toBe(true);
    expect((await stat(a, 'm4')).num_write_ops).toBe(0);
    expect((await stat(a, 'm1')).num_write_ops).toBe(0);
    expect((await a.call<PerChannel>('bdev_get_iostat', { names: ['m1'], per_channel: true })).channels[0]!.num_write_ops).toBe(0);
  });

  it('answers errors as spdk_tgt v26.05', async () => {
    await expect(a.call('bdev_get_iostat', { name: 'm1' })).rejects.toEqual(DECODE_FAILED);
    await expect(a.call('bdev_get_iostat', { names: ['nope'] })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
    await expect(a.call('bdev_get_iostat', { names: ['m1', 'nope'] })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
    await expect(a.call('bdev_get_iostat', { names: ['m1'], reset_mode: 'bogus' })).rejects.toEqual(DECODE_FAILED);
    await expect(a.call('bdev_get_iostat', { names: ['m1', 'm4'], per_channel: true })).rejects.toEqual(new RpcFailure(-22, 'Invalid argument'));
    await expect(a.call('bdev_get_iostat', { per_channel: true })).rejects.toEqual(new RpcFailure(-22, 'Invalid argument'));
    await expect(a.call('bdev_reset_iostat', { name: 'nope' })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
    await expect(a.call('bdev_reset_iostat', { name: 'm1', mode: 'bogus' })).rejects.toEqual(DECODE_FAILED);
    // Mode "none" answers before the bdev is looked up (bdev_rpc.c).
    expect(await a.call('bdev_reset_iostat', { name: 'nope', mode: 'none' })).toBe(true);
    expect(await a.call('bdev_get_iostat', { names: [] })).toMatchObject({ bdevs: [] });
  });
});

describe('bdev_set_qos_limit', () => {
  const limits = async (name: string) => (await a.call<Array<{ assigned_rate_limits: Record<string, number> }>>('bdev_get_bdevs', { name }))[0]!.assigned_rate_limits;

  it('rounds IOPS up to a multiple of 1000, clamps MB/s, keeps limits not given, and 0 clears', async () => {
    await a.call('bdev_malloc_create', { name: 'q1', num_blocks: 256, block_size: 4096 });
    expect(await limits('q1')).toEqual({ rw_ios_per_sec: 0, rw_mbytes_per_sec: 0, r_mbytes_per_sec: 0, w_mbytes_per_sec: 0 });
    expect(await a.call('bdev_set_qos_limit', { name: 'q1', rw_ios_per_sec: 1500 })).toBe(true);
    expect((await limits('q1')).rw_ios_per_sec).toBe(2000);
    await a.call('bdev_set_qos_limit', { name: 'q1', rw_ios_per_sec: 999 });
    expect((await limits('q1')).rw_ios_per_sec).toBe(1000);
    await a.call('bdev_set_qos_limit', { name: 'q1', rw_mbytes_per_sec: 2 ** 44, w_mbytes_per_sec: 2 });
    expect(await limits('q1')).toEqual({ rw_ios_per_sec: 1000, rw_mbytes_per_sec: 2 ** 44 - 1, r_mbytes_per_sec: 0, w_mbytes_per_sec: 2 });
    await a.call('bdev_set_qos_limit', { name: 'q1', rw_ios_per_sec: 0, rw_mbytes_per_sec: 0 });
    expect(await limits('q1')).toEqual({ rw_ios_per_sec: 0, rw_mbytes_per_sec: 0, r_mbytes_per_sec: 0, w_mbytes_per_sec: 2 });

    const bdevConfig = await a.call<Array<{ method: string; params?: Record<string, unknown> }>>('framework_get_config', { name: 'bdev' });
    const i = bdevConfig.findIndex((e) => e.method === 'bdev_set_qos_limit');
    expect(bdevConfig[i]).toEqual({ method: 'bdev_set_qos_limit', params: { name: 'q1', w_mbytes_per_sec: 2 } });
    expect(bdevConfig[i - 1]).toMatchObject({ method: 'bdev_malloc_create', params: { name: 'q1' } });

    await a.call('bdev_set_qos_limit', { name: 'q1', w_mbytes_per_sec: 0 });
    expect(await limits('q1')).toEqual({ rw_ios_per_sec: 0, rw_mbytes_per_sec: 0, r_mbytes_per_sec: 0, w_mbytes_per_sec: 0 });
    const cleared = await a.call<Array<{ method: string }>>('framework_get_config', { name: 'bdev' });
    expect(cleared.some((e) => e.method === 'bdev_set_qos_limit')).toBe(false);
  });

  it('answers errors as transcript 19 recorded them', async () => {
    await expect(a.call('bdev_set_qos_limit', { name: 'q1' })).rejects.toEqual(new RpcFailure(-22, 'No rate limits specified'));
    await expect(a.call('bdev_set_qos_limit', { name: 'nope', rw_ios_per_sec: 1000 })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
    await expect(a.call('bdev_set_qos_limit', { name: 'q1', rw_ios_per_sec: -1000 })).rejects.toEqual(DECODE_FAILED);
    await expect(a.call('bdev_set_qos_limit', { name: 'q1', rw_ios_per_sec: '1000' })).rejects.toEqual(DECODE_FAILED);
    await expect(a.call('bdev_set_qos_limit', { rw_ios_per_sec: 1000 })).rejects.toEqual(DECODE_FAILED);
    // UINT64_MAX is the decoder's "not given"; 2^64 does not fit a u64. Sent as text: a JS number
    // cannot tell the two apart.
    const exact = async (value: string): Promise<unknown> => {
      const { text } = await rawExchange(sockets.get('A')!, [`{"jsonrpc":"2.0","id":1,"method":"bdev_set_qos_limit","params":{"name":"q1","rw_mbytes_per_sec":${value}}}`], {
        responses: 1,
        quietMs: 5000,
      });
      return (JSON.parse(text) as { error?: unknown }).error;
    };
    expect(await exact('18446744073709551615')).toEqual({ code: -22, message: 'No rate limits specified' });
    expect(await exact('18446744073709551616')).toEqual({ code: -32603, message: 'spdk_json_decode_object failed' });
  });

  it('holds writes to the limit, and stops once it is cleared', async () => {
    await a.call('bdev_malloc_create', { name: 'q2', num_blocks: 1024, block_size: 4096 });
    // 1 MB/s: 1048 bytes per 1 ms timeslice; each 128 KiB write overruns and pays ~125 ms back.
    await a.call('bdev_set_qos_limit', { name: 'q2', w_mbytes_per_sec: 1 });
    await a.call('bdev_reset_iostat', { name: 'q2' });
    // Pipelined: all sixteen arrive at once, so the waits do not depend on the client's pace. Held
    // ~2 s in all, so that the unlimited round's worst write on a busy machine (the simulator
    // preempted for a few hundred ms) stays well under a quarter of the limited one's.
    const writes = () => Promise.all(Array.from({ length: 16 }, (_, i) => write(a, 'q2', i * 32, 128 * KIB)));
    const started = performance.now();
    await writes();
    expect(performance.now() - started).toBeGreaterThan(1600);
    // The time queued by QoS counts in the latency (from submission, as spdk_tgt measures it).
    const limited = await stat(a, 'q2');
    expect(limited.max_write_latency_ticks / 2_100_000_000).toBeGreaterThan(1.2);

    await a.call('bdev_set_qos_limit', { name: 'q2', w_mbytes_per_sec: 0 });
    await a.call('bdev_reset_iostat', { name: 'q2' });
    await writes();
    expect((await stat(a, 'q2')).max_write_latency_ticks).toBeLessThan(limited.max_write_latency_ticks / 4);
  });

  it('is accepted on a raid and on a claimed raid member', async () => {
    await a.call('bdev_malloc_create', { name: 'rm1', num_blocks: 256, block_size: 4096 });
    await a.call('bdev_malloc_create', { name: 'rm2', num_blocks: 256, block_size: 4096 });
    await a.call('bdev_raid_create', { name: 'rq', raid_level: 'raid1', base_bdevs: ['rm1', 'rm2'] });
    expect(await a.call('bdev_set_qos_limit', { name: 'rq', rw_ios_per_sec: 5000, rw_mbytes_per_sec: 20 })).toBe(true);
    expect(await a.call('bdev_set_qos_limit', { name: 'rm1', rw_ios_per_sec: 3000 })).toBe(true);
    expect(await limits('rq')).toEqual({ rw_ios_per_sec: 5000, rw_mbytes_per_sec: 20, r_mbytes_per_sec: 0, w_mbytes_per_sec: 0 });
    expect((await limits('rm1')).rw_ios_per_sec).toBe(3000);
  });
});

describe('bdev_nvme_set_multipath_policy', () => {
  it('refuses what bdev_nvme_rpc.c refuses', async () => {
    await expect(a.call('bdev_nvme_set_multipath_policy', { name: 'nn1', policy: 'bogus' })).rejects.toEqual(DECODE_FAILED);
    await expect(a.call('bdev_nvme_set_multipath_policy', { name: 'nn1' })).rejects.toEqual(DECODE_FAILED);
    await expect(a.call('bdev_nvme_set_multipath_policy', { policy: 'active_active' })).rejects.toEqual(DECODE_FAILED);
    await expect(a.call('bdev_nvme_set_multipath_policy', { name: 'nn1', policy: 'active_active', selector: 'fastest' })).rejects.toEqual(DECODE_FAILED);
    // A selector only goes with active_active: refused as a decode failure.
    await expect(a.call('bdev_nvme_set_multipath_policy', { name: 'nn1', policy: 'active_passive', selector: 'round_robin' })).rejects.toEqual(DECODE_FAILED);
    await expect(a.call('bdev_nvme_set_multipath_policy', { name: 'nn1', policy: 'active_active', rr_min_io: 0 })).rejects.toEqual(new RpcFailure(-22, 'Invalid argument'));
    await expect(a.call('bdev_nvme_set_multipath_policy', { name: 'nope', policy: 'active_active' })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
    // Not an NVMe bdev.
    await expect(a.call('bdev_nvme_set_multipath_policy', { name: 'm1', policy: 'active_passive' })).rejects.toEqual(new RpcFailure(-19, 'No such device'));
  });

  it('sets the policy shown by bdev_get_bdevs and framework_get_config', async () => {
    const mp = async () => {
      const [bdev] = await a.call<Array<{ driver_specific: { mp_policy: string; selector?: string; rr_min_io?: number } }>>('bdev_get_bdevs', { name: 'nn1' });
      const { mp_policy, selector, rr_min_io } = bdev!.driver_specific;
      return { mp_policy, selector, rr_min_io };
    };
    expect(await mp()).toEqual({ mp_policy: 'active_passive', selector: undefined, rr_min_io: undefined });
    expect(await a.call('bdev_nvme_set_multipath_policy', { name: 'nn1', policy: 'active_active' })).toBe(true);
    expect(await mp()).toEqual({ mp_policy: 'active_active', selector: 'round_robin', rr_min_io: 1 });
    await a.call('bdev_nvme_set_multipath_policy', { name: 'nn1', policy: 'active_active', selector: 'queue_depth' });
    expect(await mp()).toEqual({ mp_policy: 'active_active', selector: 'queue_depth', rr_min_io: undefined });
    const config = await a.call<Array<{ method: string; params?: Record<string, unknown> }>>('framework_get_config', { name: 'bdev' });
    expect(config.find((e) => e.method === 'bdev_nvme_set_multipath_policy')).toEqual({
      method: 'bdev_nvme_set_multipath_policy',
      params: { name: 'nn1', policy: 'active_active', selector: 'queue_depth' },
    });
    // I/O still flows over the (single) path.
    await write(a, 'nn1', 0, 4 * KIB);
  });
});

describe('the params of the new methods match schema.json', () => {
  const schema = JSON.parse(readFileSync(new URL('../../../../shared/spdk/schema.json', import.meta.url), 'utf8')) as {
    methods: Array<{ name: string; params: Array<{ name: string; type: string; required?: boolean; class?: string }> }>;
    enums: Array<{ name: string; fields: Array<{ name: string }> }>;
  };
  const kind = (t: ParamSpec['type']) => (typeof t === 'string' ? t : 'enum' in t ? 'enum' : 'array' in t ? 'array' : 'object');

  it.each(Object.entries(IOSTAT_PARAM_SPECS))('%s', (method, specs) => {
    const params = schema.methods.find((m) => m.name === method)!.params;
    const sorted = <T extends { name: string }>(xs: readonly T[]) => [...xs].sort((x, y) => x.name.localeCompare(y.name));
    expect(sorted(specs.map((s: ParamSpec) => ({ name: s.name, type: kind(s.type), required: s.required === true })))).toEqual(
      sorted(params.map((p) => ({ name: p.name, type: p.type, required: p.required === true }))),
    );
    for (const s of specs as readonly ParamSpec[]) {
      if (typeof s.type === 'object' && 'enum' in s.type) {
        const cls = params.find((p) => p.name === s.name)!.class;
        expect([...s.type.enum]).toEqual(schema.enums.find((e) => e.name === cls)!.fields.map((f) => f.name));
      }
    }
  });
});

async function recordedIostat(): Promise<Iostat> {
  const url = new URL('../../../../shared/spdk/transcripts/19-iostat-qos.jsonl', import.meta.url);
  const line = readFileSync(url, 'utf8')
    .split('\n')
    .map((l) => (l.trim() ? (JSON.parse(l) as { method: string | null; params: unknown; response?: { result?: unknown } }) : null))
    .find((l) => l?.method === 'bdev_get_iostat' && l.response?.result !== undefined);
  return line!.response!.result as Iostat;
}
