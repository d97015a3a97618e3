/**
 * Fuzz: every method the simulator registers gets random and extreme params (integers at and past
 * each width's bounds, 2^64, fractions, exponents, -0, wrong types, missing and unknown keys,
 * long strings, deep nesting, names that exist), while a second connection keeps calling
 * spdk_get_version. No input may stall the poll loop, kill the process, or reach a handler bug (a
 * `simulator_bug` log line). Params are built from each method's own decoder specs (paramSpecsOf),
 * so most calls pass decoding and reach the handler.
 *
 * After each burst (one method's calls) a spdk_get_version on a third connection must answer
 * within 50 ms of the simulator's time (issue 15), and the simulator's own longest poll since the
 * previous burst (sim_poll_stats) must have taken under 50 ms of CPU. The simulator's time is what
 * it measures itself (sim_request_time): from the arrival of the request's last byte to its
 * answer written, the polls it waited (4 ms each) plus the CPU the process spent meanwhile,
 * counted from the start of the poll before its arrival (bytes sent while a poll runs wait in the
 * socket until it ends, so a poll that spins holds up a probe sent during it). On
 * the shared 2-core machine (load 20-30) a round trip, and even the simulator's own wall time, is
 * the scheduler's (a poll of 2.5 ms CPU was seen taking 713 ms of wall time); the polls and the
 * CPU are not, yet a handler or poller that spins shows in them. The same time is taken for every
 * continuous probe (printed with the round trips); any probe unanswered for 1 s fails the test
 * (the spin this test was written for never answered again).
 *
 * Reproducible: the seed is printed; SIM_FUZZ_SEED=<seed> replays the same calls, SIM_FUZZ_SEED=random
 * draws a new one.
 */
import { truncateSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { paramSpecsOf, type ParamSpec, type ParamType } from '../../spdk/sim/core/decode.js';
import { POLL_INTERVAL_MS } from '../../spdk/sim/core/poll-loop.js';
import { CoreTarget } from '../../spdk/sim/core/target.js';
import { modules } from '../../spdk/sim/modules.js';
import { portBlock } from '../helpers/ports.js';
import { tempDir } from '../helpers/temp-dir.js';
import { startSim, type RunningSim } from './helpers/start-sim.js';
import { prng } from '../../scripts/lib/hostile-values.js';

/**
 * The suite runs a fixed seed, so that a red run is a change in the code and never the luck of the
 * draw; SIM_FUZZ_SEED=random explores.
 */
const SEED = process.env.SIM_FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 32) : Number(process.env.SIM_FUZZ_SEED ?? 1);
const CALLS_PER_METHOD = 30;
/** Calls in flight on the fuzz connection (several land in one poll, as pipelined clients do). */
const WINDOW = 8;
/** A call not answered by then is left pending: waiting calls (bdev_get_bdevs with a timeout) are legitimate. */
const CALL_DEADLINE_MS = 400;
/** spdk_get_version's round trip the issue aims at: probes over it are listed in the output. */
const PROBE_TARGET_MS = 50;
/** Any single probe: longer is a stall. */
const PROBE_STALL_MS = 1000;
const PROBE_INTERVAL_MS = 10;
/** The CPU one poll may take (sim_poll_stats), the issue's 50 ms. */
const POLL_CPU_LIMIT_MS = 50;
/** The after-burst spdk_get_version's time in the simulator (sim_request_time), the issue's 50 ms. */
const PROBE_SIM_LIMIT_MS = 50;

/** The probes' own methods: never fuzzed (sim_rpc_delay's method), they measure the simulator. */
const PROBE_METHODS = ['spdk_get_version', 'sim_poll_stats', 'sim_request_time'];

const INT_EXTREMES: Record<string, readonly string[]> = {
  uint8: ['255', '256'],
  uint16: ['65535', '65536'],
  uint32: ['4294967295', '4294967296', '4294967295.0', '4.294967295e9'],
  int32: ['2147483647', '2147483648', '-2147483648', '-2147483649', '-1', '-0'],
  uint64: ['18446744073709551615', '18446744073709551616', '18446744073709551614', '9007199254740993', '1.8446744073709551615e19', '1e19'],
};
const ANY_EXTREMES = [
  '0',
  '1',
  '-1',
  '-0',
  '0.0',
  '1.0',
  '1.5',
  '1e3',
  '1e20',
  '1e308',
  '1e309',
  '-1e309',
  '2.5e-1',
  '123456789012345678901234567890',
  '0e9223372036854775807',
  '1e-9223372036854775808',
  '4096',
  '512',
  '2147483648',
];
const SMALL = ['0', '1', '2', '3', '4', '8', '16', '64', '512', '1024', '4096', '65536', '1048576'];

class Gen {
  readonly rand: () => number;

  constructor(
    seed: number,
    private readonly names: readonly string[],
    private readonly dir: string,
    private readonly ports: readonly number[],
    private readonly methods: readonly string[],
  ) {
    this.rand = prng(seed);
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.rand() * items.length)]!;
  }

  chance(p: number): boolean {
    return this.rand() < p;
  }

  integer(width: string): string {
    const r = this.rand();
    if (r < 0.35) return this.pick(INT_EXTREMES[width] ?? ANY_EXTREMES);
    if (r < 0.55) return this.pick(ANY_EXTREMES);
    if (r < 0.65) return String(Math.floor(this.rand() * 2 ** 32));
    return this.pick(SMALL);
  }

  /** A string for field `field`: names that exist or may, paths only inside the test's dir. */
  string(field: string): string {
    if (field === 'filename') return this.pick([join(this.dir, 'small.img'), join(this.dir, 'big.img'), join(this.dir, 'missing.img'), this.dir, '']);
    if (field === 'traddr' || field === 'hostaddr') return this.pick(['127.0.0.1', '127.0.0.1', '::1', '999.1.1.1', 'x', '']);
    if (field === 'trsvcid' || field === 'hostsvcid') return this.pick([...this.ports.map(String), '0', '99999', 'abc', '']);
    if (field === 'trtype') return this.pick(['TCP', 'tcp', 'RDMA', 'PCIe', 'x']);
    if (field === 'adrfam') return this.pick(['ipv4', 'IPv4', 'ipv6', 'x']);
    // sim_rpc_delay of the probes' own methods would only measure the delay.
    if (field === 'method') return this.pick(this.methods.filter((m) => !PROBE_METHODS.includes(m)));
    if (/nqn|^host$/.test(field)) {
      return this.pick(['nqn.2016-06.io.spdk:f0', 'nqn.2016-06.io.spdk:f1', 'nqn.2014-08.org.nvmexpress.discovery', 'nqn.2016-06.io.spdk:h0', 'nqn.x', `nqn.2016-06.io.spdk:${'n'.repeat(300)}`, '']);
    }
    const r = this.rand();
    if (r < 0.75) return this.pick(this.names);
    return this.pick(['', 'x'.repeat(5000), 'ü\u{1F600}', 'a/b', 'a\u0000b', 'a"b\\c', ' ', '-1', '18446744073709551616']);
  }

  value(type: ParamType, field: string): string {
    if (typeof type === 'string') {
      switch (type) {
        case 'string':
          return JSON.stringify(this.string(field));
        case 'boolean':
          return this.chance(0.5) ? 'true' : 'false';
        case 'uuid':
          return JSON.stringify(this.pick([crypto.randomUUID(), '00000000-0000-0000-0000-000000000000', 'not-a-uuid', '']));
        default:
          return this.integer(type);
      }
    }
    if ('enum' in type) return JSON.stringify(this.chance(0.9) ? this.pick(type.enum) : 'bogus');
    if ('object' in type) return this.object(type.object);
    const n = Math.floor(this.rand() * (Math.min(type.maxCount, 8) + 2));
    return `[${Array.from({ length: n }, () => this.value(type.array, field)).join(',')}]`;
  }

  wrongType(): string {
    if (this.chance(0.1)) return this.nested(1 + Math.floor(this.rand() * 60));
    return this.pick(['null', '"x"', '1', '-1', 'true', '[]', '{}', '[1,2]', '{"a":1}', '1e309']);
  }

  /** Arrays and objects `depth` deep (deeper than 62 inside params closes the connection). */
  nested(depth: number): string {
    let text = this.pick(['1', '"x"', '18446744073709551616', 'null']);
    for (let i = 0; i < depth; i++) text = this.chance(0.5) ? `[${text}]` : `{"k":${text}}`;
    return text;
  }

  object(specs: readonly ParamSpec[]): string {
    const members: string[] = [];
    for (const s of specs) {
      if (!s.required && this.chance(0.5)) continue;
      if (s.required && this.chance(0.03)) continue;
      const v = this.chance(0.05) ? this.wrongType() : this.value(s.type, s.name);
      members.push(`${JSON.stringify(s.name)}:${v}`);
      if (this.chance(0.02)) members.push(`${JSON.stringify(s.name)}:${v}`);
    }
    if (this.chance(0.03)) members.push(`"bogus_key":${this.wrongType()}`);
    return `{${members.join(',')}}`;
  }

  /** The params member's text, or undefined to send none. */
  params(specs: readonly ParamSpec[] | undefined, method: string): string | undefined {
    const r = this.rand();
    if (r < 0.03) return undefined;
    if (r < 0.05) return this.pick(['[]', '[1]', '{}', 'null', '"x"']);
    if (specs === undefined) {
      if (method.startsWith('sim_fabric_')) {
        const key = this.pick(['controller', 'nqn', 'bogus']);
        const enable = this.chance(0.7) ? `,"enable":${this.chance(0.5)}` : '';
        return `{"${key}":${JSON.stringify(this.string(key))}${enable}}`;
      }
      return this.chance(0.8) ? undefined : this.pick(['{}', '{"x":1}']);
    }
    // sim_rpc_delay without `method` delays every answer, the probes' too: that is its job.
    if (method === 'sim_rpc_delay') return `{"method":${JSON.stringify(this.string('method'))},"ms":${this.integer('uint32')}}`;
    return this.object(specs);
  }
}

interface PollStats {
  readonly polls: number;
  readonly longest_poll_wall_ms: number;
  readonly longest_poll_cpu_ms: number;
}

/** sim_request_time: the previous request on the connection, timed by the simulator. */
interface RequestTime {
  readonly method: string;
  readonly wall_ms: number;
  readonly cpu_ms: number;
  readonly polls: number;
}

/**
 * Its time in the simulator apart from the machine's load: the polls it waited, and the CPU the
 * main thread (the reactor's stand-in) spent meanwhile. The process's CPU counted V8's collector
 * helpers and libuv's pool (writing env_dpdk_get_mem_stats' dump file) too: a probe beside that
 * dump counted 43 ms in 46 ms of wall time on a loaded CI, and 37 ms in 12 ms on a quiet machine.
 * A spin of the main thread takes its CPU, so it shows; one begun before the probe arrived shows
 * in the polls' CPU (sim_poll_stats).
 */
function simMs(t: RequestTime): number {
  return t.polls * POLL_INTERVAL_MS + t.cpu_ms;
}

interface Answer {
  readonly error?: { code: number; message: string };
  readonly result?: unknown;
}

/** A connection that sends raw request text and matches answers by id; reconnects when the server closes it. */
class RawRpc {
  private socket!: Socket;
  private buffer = '';
  private nextId = 1;
  private readonly waiting = new Map<number, (a: Answer | null) => void>();

  private constructor(private readonly path: string) {}

  static async open(path: string): Promise<RawRpc> {
    const c = new RawRpc(path);
    await c.connect();
    return c;
  }

  private connect(): Promise<void> {
    return new Promise((resolve, reject) => {
      const s = connect(this.path);
      s.setEncoding('utf8');
      s.once('connect', () => {
        this.socket = s;
        this.buffer = '';
        resolve();
      });
      s.once('error', reject);
      s.on('data', (d: string) => this.onData(d));
      s.on('close', () => {
        for (const [, cb] of this.waiting) cb(null);
        this.waiting.clear();
      });
    });
  }

  private onData(d: string): void {
    this.buffer += d;
    for (let nl = this.buffer.indexOf('\n'); nl >= 0; nl = this.buffer.indexOf('\n')) {
      const msg = JSON.parse(this.buffer.slice(0, nl)) as Answer & { id: unknown };
      this.buffer = this.buffer.slice(nl + 1);
      const cb = typeof msg.id === 'number' ? this.waiting.get(msg.id) : undefined;
      if (cb) {
        this.waiting.delete(msg.id as number);
        cb(msg);
      }
    }
  }

  /** The answer, or null when none came within `deadlineMs` or the connection closed. */
  async call(method: string, params: string | undefined, deadlineMs: number): Promise<Answer | null> {
    if (this.socket.destroyed) await this.connect();
    const id = this.nextId++;
    const text = `{"jsonrpc":"2.0","method":${JSON.stringify(method)},"id":${id}${params === undefined ? '' : `,"params":${params}`}}`;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(null);
      }, deadlineMs);
      this.waiting.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
      this.socket.write(text);
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Every registered method and its decoder's specs, from the modules main installs. */
function methodSpecs(): Map<string, readonly ParamSpec[] | undefined> {
  const dir = tempDir('sim-fuzz-specs-');
  const target = new CoreTarget({ name: 'specs', memory: { mode: 'dynamic', mib: null, hugepagesFree: 1024 }, memDumpPath: join(dir, 'dump.txt'), quiet: true });
  for (const m of modules(target)) target.install(m);
  return new Map(target.dispatcher.names().map((name) => [name, paramSpecsOf(target.dispatcher.spec(name)?.decode)]));
}

describe('fuzz: no params stall or break the simulator', () => {
  let sim: RunningSim;
  let dir: string;
  let bugs = 0;

  beforeAll(async () => {
    dir = tempDir('sim-fuzz-');
    writeFileSync(join(dir, 'small.img'), '');
    truncateSync(join(dir, 'small.img'), 64 * 1024 * 1024);
    writeFileSync(join(dir, 'big.img'), '');
    truncateSync(join(dir, 'big.img'), 4 * 1024 * 1024 * 1024);
    sim = await startSim({ name: 'Z', socket: join(dir, 'z.sock') });
    sim.proc.stderr!.on('data', (d: string) => {
      bugs += d.split('"event":"simulator_bug"').length - 1;
    });
  });

  afterAll(async () => {
    await sim?.stop();
  });

  it('answers sizes past and at u64 as spdk_tgt does, at once (issue 15: 2^64 blocks made it spin)', async () => {
    const c = await RawRpc.open(sim.socket);
    const malloc = (numBlocks: string, blockSize: string) => c.call('bdev_malloc_create', `{"name":"x0","num_blocks":${numBlocks},"block_size":${blockSize}}`, 2000);
    try {
      for (const bs of ['512', '4096']) {
        expect(await malloc('18446744073709551616', bs)).toMatchObject({ error: { code: -32603, message: 'spdk_json_decode_object failed' } });
        expect(await malloc('18446744073709551615', bs)).toMatchObject({ error: { code: -12, message: 'Cannot allocate memory' } });
        expect(await malloc('1e19', bs)).toMatchObject({ error: { code: -12, message: 'Cannot allocate memory' } });
        expect(await malloc('1.5', bs)).toMatchObject({ error: { code: -32603, message: 'spdk_json_decode_object failed' } });
      }
      expect(await malloc('1.6e1', '5.12e2')).toMatchObject({ result: 'x0' });
      const spdk = await c.call('bdev_get_bdevs', '{"name":"x0"}', 2000);
      expect(spdk?.result).toMatchObject([{ num_blocks: 16, block_size: 512 }]);
      expect(await c.call('bdev_malloc_delete', '{"name":"x0"}', 2000)).toMatchObject({ result: true });
    } finally {
      c.close();
    }
  });

  it(`keeps answering spdk_get_version on another connection within ${PROBE_SIM_LIMIT_MS} ms of the simulator's time (none unanswered for ${PROBE_STALL_MS} ms; round trips printed) whatever the params (seed ${SEED})`, async () => {
    console.log(`sim fuzz seed ${SEED} (SIM_FUZZ_SEED=${SEED} replays it)`);
    const specs = methodSpecs();
    const fuzz = await RawRpc.open(sim.socket);
    const probe = await RawRpc.open(sim.socket);
    const burstProbe = await RawRpc.open(sim.socket);
    const listed = await fuzz.call('rpc_get_methods', undefined, 2000);
    expect(new Set(listed?.result as string[])).toEqual(new Set(specs.keys()));

    const base = portBlock();
    const names = ['f0', 'f1', 'f2', 'Malloc0', 'lvsf', 'lvsf/l0', 'lvsf/l1', 'lvsf/s0', 'l0', 's0', 'r0', 'n0', 'n0n1'];
    const gen = new Gen(SEED, names, dir, [base, base + 1], [...specs.keys()]);
    // Something for the names to find: a malloc and an aio bdev with an lvstore, a transport.
    for (const [m, p] of [
      ['bdev_malloc_create', '{"name":"f0","num_blocks":16384,"block_size":512}'],
      ['bdev_aio_create', `{"name":"f2","block_size":512,"filename":${JSON.stringify(join(dir, 'small.img'))}}`],
      ['bdev_lvol_create_lvstore', '{"bdev_name":"f2","lvs_name":"lvsf"}'],
      ['bdev_lvol_create', '{"lvs_name":"lvsf","lvol_name":"l0","size_in_mib":8,"thin_provision":true}'],
      ['nvmf_create_transport', '{"trtype":"TCP"}'],
    ] as const) {
      expect((await fuzz.call(m, p, 5000))?.error, m).toBeUndefined();
    }

    const latencies: number[] = [];
    const probeSim: Array<RequestTime & { during: string }> = [];
    const slow: Array<{ ms: number; during: string }> = [];
    let current = '';
    let fuzzing = true;
    const prober = (async () => {
      while (fuzzing) {
        const started = performance.now();
        const a = await probe.call('spdk_get_version', undefined, PROBE_STALL_MS);
        const ms = performance.now() - started;
        expect(a?.result, `spdk_get_version unanswered for ${PROBE_STALL_MS} ms during ${current}`).toBeDefined();
        latencies.push(ms);
        if (ms > PROBE_TARGET_MS) slow.push({ ms: Math.round(ms), during: current });
        const time = (await probe.call('sim_request_time', undefined, PROBE_STALL_MS))?.result as RequestTime | null | undefined;
        if (time?.method === 'spdk_get_version') probeSim.push({ ...time, during: current });
        await new Promise((r) => setTimeout(r, PROBE_INTERVAL_MS));
      }
    })();

    const outcomes = { answered: 0, pending: 0 };
    const afterBurst: number[] = [];
    const afterBurstSim: RequestTime[] = [];
    let longestPoll = 0;
    let longestPollWall = 0;
    await burstProbe.call('sim_poll_stats', undefined, PROBE_STALL_MS);
    const started = performance.now();
    try {
      for (const [method, paramSpecs] of specs) {
        current = method;
        const calls = Array.from({ length: CALLS_PER_METHOD }, () => gen.params(paramSpecs, method));
        // WINDOW calls in flight; every answer of a method before the next method's calls (a raid
        // create and delete of one raid in one poll crash spdk_tgt, and the simulator on purpose).
        let next = 0;
        const worker = async () => {
          while (next < calls.length) {
            const a = await fuzz.call(method, calls[next++], CALL_DEADLINE_MS);
            outcomes[a === null ? 'pending' : 'answered']++;
          }
        };
        await Promise.all(Array.from({ length: WINDOW }, worker));
        // After the burst: another connection is answered within 50 ms of the simulator's time,
        // and no poll of the burst cost 50 ms of CPU.
        const probeStarted = performance.now();
        const answer = await burstProbe.call('spdk_get_version', undefined, PROBE_STALL_MS);
        expect(answer?.result, `spdk_get_version unanswered for ${PROBE_STALL_MS} ms after ${method}`).toBeDefined();
        afterBurst.push(performance.now() - probeStarted);
        const time = (await burstProbe.call('sim_request_time', undefined, PROBE_STALL_MS))?.result as RequestTime | undefined;
        expect(time?.method, `sim_request_time after ${method}`).toBe('spdk_get_version');
        expect(simMs(time!), `spdk_get_version's time in the simulator after ${method}: ${JSON.stringify(time)}`).toBeLessThanOrEqual(PROBE_SIM_LIMIT_MS);
        afterBurstSim.push(time!);
        const stats = (await burstProbe.call('sim_poll_stats', undefined, PROBE_STALL_MS))?.result as PollStats | undefined;
        expect(stats, `sim_poll_stats unanswered after ${method}`).toBeDefined();
        expect(stats!.longest_poll_cpu_ms, `a poll's CPU during ${method}`).toBeLessThan(POLL_CPU_LIMIT_MS);
        longestPoll = Math.max(longestPoll, stats!.longest_poll_cpu_ms);
        longestPollWall = Math.max(longestPollWall, stats!.longest_poll_wall_ms);
      }
    } finally {
      fuzzing = false;
      await prober;
      fuzz.close();
      probe.close();
      burstProbe.close();
    }
    const sorted = [...latencies].sort((a, b) => a - b);
    console.log(
      `sim fuzz: ${specs.size} methods x ${CALLS_PER_METHOD} calls in ${Math.round(performance.now() - started)} ms ` +
        `(${outcomes.answered} answered, ${outcomes.pending} not within ${CALL_DEADLINE_MS} ms); spdk_get_version x ${sorted.length}: ` +
        `median ${percentile(sorted, 50).toFixed(1)} ms, p99 ${percentile(sorted, 99).toFixed(1)} ms, max ${sorted[sorted.length - 1]!.toFixed(1)} ms`,
    );
    const burstMax = Math.max(...afterBurst);
    console.log(
      `sim fuzz: spdk_get_version after each of ${afterBurst.length} bursts: max ${burstMax.toFixed(1)} ms ` +
        `(${afterBurst.filter((ms) => ms > PROBE_TARGET_MS).length} over ${PROBE_TARGET_MS} ms); ` +
        `longest poll ${longestPoll.toFixed(1)} ms CPU, ${longestPollWall.toFixed(1)} ms wall`,
    );
    if (slow.length > 0) console.log(`probes over ${PROBE_TARGET_MS} ms: ${JSON.stringify(slow)}`);
    // Each continuous probe waited beside the fuzz calls: one that spins shows in its CPU.
    const spun = probeSim.filter((t) => simMs(t) > PROBE_SIM_LIMIT_MS);
    const most = (ts: readonly RequestTime[], f: (t: RequestTime) => number) => Math.max(0, ...ts.map(f)).toFixed(1);
    console.log(
      `sim fuzz: spdk_get_version in the simulator (sim_request_time), after the bursts: max ${most(afterBurstSim, simMs)} ms ` +
        `(polls x ${POLL_INTERVAL_MS} ms + CPU; wall max ${most(afterBurstSim, (t) => t.wall_ms)} ms); continuous x ${probeSim.length}: ` +
        `max ${most(probeSim, simMs)} ms (${spun.length} over ${PROBE_SIM_LIMIT_MS} ms; wall max ${most(probeSim, (t) => t.wall_ms)} ms); ` +
        `longest: ${[...probeSim]
          .sort((x, y) => simMs(y) - simMs(x))
          .slice(0, 3)
          .map((t) => `${simMs(t).toFixed(1)} ms (${t.polls} polls, ${t.cpu_ms.toFixed(1)} ms CPU) during ${t.during}`)
          .join(', ')}`,
    );
    expect(spun, "continuous probes over 50 ms of the simulator's time").toEqual([]);
    expect(sim.proc.exitCode).toBeNull();
    expect(sim.proc.signalCode).toBeNull();
    expect(
      bugs,
      sim
        .stderr()
        .split('\n')
        .filter((l) => l.includes('simulator_bug'))
        .slice(-5)
        .join('\n'),
    ).toBe(0);
  });
});
