/**
 * Simulator at scale: one simulator with N lvols (thin, on an lvstore over a sparse aio file) and,
 * when the nvmf module is installed, M subsystems exporting them. Prints the simulator's RSS and
 * the round trip of bdev_get_bdevs (all bdevs) next to spdk_tgt's figure for 1006 bdevs.
 *
 *   npm run build && node dist/scripts/bench-sim-scale.js [--lvols 5000] [--subsystems 2000] [--gets 50]
 */
import { spawn } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const SIM_MAIN = fileURLToPath(new URL('../spdk/sim/main.js', import.meta.url));
const LATENCY_SUMMARY = fileURLToPath(new URL('../../../shared/spdk/latency-summary.json', import.meta.url));
const MIB = 1024 * 1024;

interface Response {
  id: number;
  result?: unknown;
  error?: { code: number; message: string };
}

/** Newline-delimited JSON-RPC with many calls in flight on one connection. */
class Client {
  private next = 1;
  /** Pieces of the line being received: a 5 MB answer arrives in ~80 chunks, scan each once. */
  private pieces: string[] = [];
  private readonly waiting = new Map<number, (r: Response & { bytes: number; at: number }) => void>();

  constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      let rest = d;
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        // spdk_tgt's figures are write -> terminating newline received: take the time before parsing.
        const at = performance.now();
        this.pieces.push(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
        const line = this.pieces.join('');
        this.pieces = [];
        const r = JSON.parse(line) as Response;
        this.waiting.get(r.id)?.({ ...r, bytes: line.length + 1, at });
        this.waiting.delete(r.id);
      }
      if (rest !== '') this.pieces.push(rest);
    });
  }

  request(method: string, params?: unknown): Promise<Response & { bytes: number; at: number }> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.socket.write(JSON.stringify(params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id }));
    });
  }

  async call(method: string, params?: unknown): Promise<unknown> {
    const r = await this.request(method, params);
    if (r.error) throw new Error(`${method}: ${r.error.code} ${r.error.message}`);
    return r.result;
  }

  /**
   * Runs `count` calls with at most `inflight` outstanding (independent objects only). Stops at
   * the first error and returns how many calls succeeded before it, and the error.
   */
  async pipeline(count: number, inflight: number, make: (i: number) => [string, unknown]): Promise<{ done: number; error?: string }> {
    let next = 0;
    let firstFailed = Infinity;
    let error: string | undefined;
    const worker = async () => {
      while (next < count && next < firstFailed) {
        const i = next++;
        const [method, params] = make(i);
        const r = await this.request(method, params);
        if (r.error && i < firstFailed) {
          firstFailed = i;
          error = `${method}: ${r.error.code} ${r.error.message}`;
        }
      }
    };
    await Promise.all(Array.from({ length: inflight }, worker));
    return { done: Math.min(count, firstFailed), error };
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function rssMib(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { lvols: { type: 'string', default: '5000' }, subsystems: { type: 'string', default: '2000' }, gets: { type: 'string', default: '50' } },
  });
  const lvols = Number(values.lvols);
  const subsystems = Math.min(Number(values.subsystems), lvols);
  const gets = Number(values.gets);
  const dir = mkdtempSync(join(tmpdir(), 'bench-sim-scale-'));
  const socketPath = join(dir, 'sim.sock');
  const disk = join(dir, 'disk.img');
  // One metadata page per cluster: the lvstore must have more clusters than lvols.
  const diskBytes = Math.max(8 * 1024, Math.ceil((lvols * 1.5) / 1024) * 1024) * MIB;
  const fd = openSync(disk, 'w');
  ftruncateSync(fd, diskBytes);
  closeSync(fd);

  // More than spdk_tgt's default 1024 subsystems needs the limit raised at start-up, as
  // spdk_tgt --wait-for-rpc + nvmf_set_max_subsystems would.
  const proc = spawn(process.execPath, [SIM_MAIN, '--socket', socketPath, '--name', 'SCALE', '--quiet', '--mem-dump', join(dir, 'dump.txt'), '--max-subsystems', String(subsystems + 1)], {
    stdio: 'inherit',
  });
  const deadline = Date.now() + 10_000;
  let socket: Socket | null = null;
  while (socket === null) {
    socket = await new Promise<Socket | null>((resolve) => {
      const s = connect(socketPath);
      s.once('connect', () => resolve(s));
      s.once('error', () => resolve(null));
    });
    if (socket === null) {
      if (Date.now() > deadline) throw new Error('simulator did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  const c = new Client(socket);
  try {
    const startedRss = rssMib(proc.pid!);
    await c.call('bdev_aio_create', { name: 'aio0', filename: disk, block_size: 4096 });
    await c.call('bdev_lvol_create_lvstore', { bdev_name: 'aio0', lvs_name: 'lvs', cluster_sz: MIB });

    // The first 100 one after another: the per-call latency a sequential client sees.
    const seq: number[] = [];
    for (let i = 0; i < Math.min(100, lvols); i++) {
      const t = performance.now();
      await c.call('bdev_lvol_create', { lvs_name: 'lvs', lvol_name: `vol${i}`, size_in_mib: 16, thin_provision: true });
      seq.push(performance.now() - t);
    }
    let t0 = performance.now();
    const made = await c.pipeline(Math.max(0, lvols - 100), 64, (i) => ['bdev_lvol_create', { lvs_name: 'lvs', lvol_name: `vol${i + 100}`, size_in_mib: 16, thin_provision: true }]);
    if (made.error) throw new Error(made.error);
    const lvolSeconds = (performance.now() - t0) / 1000;

    const methods = (await c.call('rpc_get_methods')) as string[];
    let subsystemNote: string;
    if (!methods.includes('nvmf_create_subsystem')) {
      subsystemNote = 'skipped: nvmf_create_subsystem is not registered (no nvmf module installed)';
    } else {
      await c.call('nvmf_create_transport', { trtype: 'TCP' });
      const port = String(await freePort());
      const nqn = (i: number) => `nqn.2016-06.io.spdk:scale${i}`;
      t0 = performance.now();
      // Create all, then add namespaces, then listeners: calls on one subsystem never share a poll.
      const created = await c.pipeline(subsystems, 64, (i) => ['nvmf_create_subsystem', { nqn: nqn(i), allow_any_host: true }]);
      const n = created.done;
      for (const step of [
        await c.pipeline(n, 64, (i) => ['nvmf_subsystem_add_ns', { nqn: nqn(i), namespace: { bdev_name: `lvs/vol${i}` } }]),
        await c.pipeline(n, 64, (i) => ['nvmf_subsystem_add_listener', { nqn: nqn(i), listen_address: { trtype: 'tcp', adrfam: 'ipv4', traddr: '127.0.0.1', trsvcid: port } }]),
      ]) {
        if (step.error) throw new Error(step.error);
      }
      subsystemNote = `${n} subsystems (namespace + listener each) in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
      if (created.error) subsystemNote += `; stopped at ${n} of ${subsystems}: ${created.error}`;
    }

    const rtts: number[] = [];
    let bytes = 0;
    let count = 0;
    for (let i = 0; i < gets; i++) {
      const t = performance.now();
      const r = await c.request('bdev_get_bdevs');
      rtts.push(r.at - t);
      bytes = r.bytes;
      count = (r.result as unknown[]).length;
    }
    rtts.sort((a, b) => a - b);
    seq.sort((a, b) => a - b);
    const rss = rssMib(proc.pid!);

    const real = existsSync(LATENCY_SUMMARY)
      ? (JSON.parse(readFileSync(LATENCY_SUMMARY, 'utf8')) as { bdev_get_bdevs_all_with_1006_bdevs_x1000: Array<Record<string, unknown>> }).bdev_get_bdevs_all_with_1006_bdevs_x1000
      : [];
    console.log('\nsimulator at scale');
    console.log(`  lvols: ${lvols} (first 100 sequential: median ${percentile(seq, 50).toFixed(2)} ms; the rest pipelined x64 in ${lvolSeconds.toFixed(1)} s)`);
    console.log(`  subsystems: ${subsystemNote}`);
    console.log(`  RSS: ${rss.rss.toFixed(0)} MiB (peak ${rss.hwm.toFixed(0)} MiB; ${startedRss.rss.toFixed(0)} MiB at start)`);
    console.log(`  bdev_get_bdevs, ${count} bdevs, ${(bytes / 1e6).toFixed(2)} MB: median ${percentile(rtts, 50).toFixed(1)} ms, p99 ${percentile(rtts, 99).toFixed(1)} ms (n=${gets})`);
    for (const r of real) {
      console.log(`  spdk_tgt v26.05, 1006 bdevs, ${String(r['client'])} (${String(r['setup'])}): median ${String(r['median_ms'])} ms, p99 ${String(r['p99_ms'])} ms`);
    }
    if (real.length === 0) console.log('  (spdk_tgt figures: ../shared/spdk/latency-summary.json not found)');
  } finally {
    socket.destroy();
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
