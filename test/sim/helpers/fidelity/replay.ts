/**
 * Replays transcript sessions against fresh simulators and compares every answer with the
 * recording (see compare.ts). Requests go one at a time on one connection per target, as the
 * recorder sent them; raw protocol probes (transcript 09) go byte for byte on their own
 * connection, with the follow-up request of each probe on that same connection.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, openSync, closeSync, ftruncateSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { dataRanges } from '../../../../src/host/sparse-ranges.js';
import { SimClient } from '../sim-client.js';
import { startSim, type RunningSim } from '../start-sim.js';
import { compareShape, copyBehind, type CompareOptions } from './compare.js';
import { exceptionFor, failureDetail, type FidelityException } from './exceptions.js';
import { RawConn } from './raw-conn.js';
import { filePart, type Action, type SessionPlan, type TargetName } from './sessions.js';
import { paramsText, RAW_NUMBER, readTranscript, rebuildRaw, type Line } from './transcripts.js';

export type Status = 'pass' | 'fail' | 'excepted';

export interface LineResult {
  readonly file: string;
  readonly index: number;
  readonly what: string;
  readonly status: Status;
  readonly detail?: string;
  readonly reason?: string;
  /** A timed poll that reached the recorded state only this many ms after its recorded time. */
  readonly lateMs?: number;
  /**
   * A timed poll the replay sent this many ms behind the recorded pace (a loaded machine), answered
   * with the state the recording itself showed for the same request no later than that.
   */
  readonly behindPaceMs?: number;
}

/**
 * Read-only polls of timed scenarios are compared as a state sequence: when the simulator is not
 * there yet (a rebuild or a reconnect a little slower on a loaded machine), the poll is repeated
 * for up to LATE_MS, and the line passes once the recorded state shows, with its lateness noted.
 * While the simulator still answers with a state the recording itself showed earlier for the same
 * request, it is behind, not wrong (a copy that takes longer on a busy CPU), and the poll is
 * repeated for up to BEHIND_MS: a deadline for a simulator that never gets there, not a guess at
 * the machine's speed. When the replay itself fell behind the recorded pace (the poll went out
 * later than its recorded moment), an answer the recording gave the same request at most that much
 * later is the state of the moment the poll was really sent, and passes with the lag noted. Any
 * other difference still fails after LATE_MS.
 */
const POLLS = new Set([
  'bdev_raid_get_bdevs',
  'bdev_nvme_get_controllers',
  'bdev_get_bdevs',
  'bdev_nvme_get_io_paths',
  'nvmf_subsystem_get_controllers',
  'nvmf_subsystem_get_listeners',
  'nvmf_subsystem_get_qpairs',
  'nvmf_get_subsystems',
  'bdev_lvol_get_lvols',
]);
const LATE_MS = 750;
const BEHIND_MS = 10_000;

/** Where the recordings kept their disk images (files 01-16, and 17-21). */
const RECORDED_DISKS = ['/var/lib/spdk-disks', '/var/tmp/rec'];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** spdk_get_version carries the simulator's own marker beside the imitated version. */
const VERSION_EXTRA: CompareOptions = { allowExtra: new Map([['$', ['simulator']]]) };
const QUIET_MS = 250;
/**
 * A probe the recording shows answered or closed by the server waits this long for the answers or
 * the close (it ends when they come): a loaded machine can keep the simulator from its next polls
 * for longer than QUIET_MS. Only a probe recorded with neither waits for a quiet spell.
 */
const EXPECTED_DEADLINE_MS = 10_000;
/** How long a never-answered request is watched: the recorder waited 15 s and 60 s; the poll is 1 ms here. */
const UNANSWERED_MS = 1_000;
const MIB = 1024 * 1024;
/** sim_bdev_write chunk: requests must stay well under the 256 KiB receive buffer. */
const WRITE_CHUNK = 128 * 1024;

interface Target {
  sim: RunningSim;
  client: SimClient;
  methods: Set<string>;
}

function shapeOf(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(shapeOf);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shapeOf(x)]));
  return v === null ? null : typeof v;
}

/**
 * The recorded time of the last thing that can change what a poll sees: an action, or a poll
 * whose answer (error, or result shape) differs from the previous answer to the same poll. Past
 * it, the recording only repeats itself and is replayed without waiting.
 */
function lastTimedEvent(lines: readonly Line[]): number {
  const seen = new Map<string, string>();
  let last = 0;
  for (const l of lines) {
    if (l.method === null || l.t_ms === undefined || l.response === null || l.response === undefined) continue;
    if (!POLLS.has(l.method)) {
      last = l.t_ms;
      continue;
    }
    const key = `${l.method}${JSON.stringify(l.params)}`;
    const r = l.response as { error?: unknown; result?: unknown };
    const sig = JSON.stringify(r.error !== undefined ? r.error : shapeOf(r.result));
    if (seen.has(key) && seen.get(key) !== sig) last = l.t_ms;
    seen.set(key, sig);
  }
  return last;
}

/** The answers the recording got to the same request on the same target before `line`. */
function earlierAnswers(lines: readonly Line[], line: Line): Array<{ result?: unknown; error?: unknown }> {
  const key = JSON.stringify([line.target ?? 'A', line.method, line.params]);
  return lines
    .slice(0, line.index)
    .filter((l) => JSON.stringify([l.target ?? 'A', l.method, l.params]) === key && l.response !== null && typeof l.response === 'object')
    .map((l) => l.response as { result?: unknown; error?: unknown; result_omitted?: boolean })
    .filter((r) => !r.result_omitted);
}

/** The recorded answers to the same request after this line, with how much later they came. */
function laterAnswers(lines: readonly Line[], line: Line): Array<{ afterMs: number; response: { result?: unknown; error?: unknown } }> {
  const key = JSON.stringify([line.target ?? 'A', line.method, line.params]);
  const at = line.t_ms ?? 0;
  return lines
    .filter((l) => l.index > line.index && l.t_ms !== undefined && JSON.stringify([l.target ?? 'A', l.method, l.params]) === key && l.response !== null && typeof l.response === 'object')
    .map((l) => ({ afterMs: l.t_ms! - at, response: l.response as { result?: unknown; error?: unknown; result_omitted?: boolean } }))
    .filter((r) => !(r.response as { result_omitted?: boolean }).result_omitted);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export class Replay {
  private readonly targets = new Map<TargetName, Target>();
  private readonly ports = new Map<string, string>();
  /** Values the recording got back (uuids, operation ids) -> what the simulator gave instead. */
  private readonly seen = new Map<string, unknown>();
  readonly diskDir: string;
  /** How far behind the recorded pace the line being replayed went out, ms (0 when not paced). */
  private lagMs = 0;
  readonly results: LineResult[] = [];
  private probe: RawConn | null = null;

  constructor(
    private readonly plan: SessionPlan,
    private readonly pollMs: number,
  ) {
    this.diskDir = mkdtempSync(join(tmpdir(), 'sim-fidelity-disks-'));
  }

  private async startTarget(name: TargetName, args: readonly string[]): Promise<void> {
    await this.stopTarget(name);
    // Every session starts its targets at once: on a loaded machine a start can take far longer than alone.
    const sim = await startSim({ name, args: ['--poll-ms', String(this.pollMs), '--quiet', ...args], timeoutMs: 60_000 });
    const client = await SimClient.connect(sim.socket);
    const methods = new Set(await client.call<string[]>('rpc_get_methods'));
    this.targets.set(name, { sim, client, methods });
  }

  private async stopTarget(name: TargetName): Promise<void> {
    const t = this.targets.get(name);
    if (!t) return;
    this.targets.delete(name);
    t.client.close();
    await t.sim.stop();
  }

  private registered(): Set<string> {
    const all = new Set<string>();
    for (const t of this.targets.values()) for (const m of t.methods) all.add(m);
    return all;
  }

  async close(): Promise<void> {
    this.probe?.close();
    for (const name of [...this.targets.keys()]) await this.stopTarget(name);
    rmSync(this.diskDir, { recursive: true, force: true });
  }

  /** Recorded TCP ports become free local ones; recorded disk paths the session's disk dir. */
  private async mapParams(v: unknown, key?: string): Promise<unknown> {
    if ((typeof v === 'string' || typeof v === 'number') && this.seen.has(`${key}:${String(v)}`)) return this.seen.get(`${key}:${String(v)}`);
    if (typeof v === 'string' && UUID.test(v) && this.seen.has(`uuid:${v}`)) return this.seen.get(`uuid:${v}`);
    if (typeof v === 'string') {
      if (key === 'trsvcid' && /^\d+$/.test(v)) {
        if (!this.ports.has(v)) this.ports.set(v, String(await freePort()));
        return this.ports.get(v);
      }
      const dir = RECORDED_DISKS.find((d) => v === d || v.startsWith(`${d}/`));
      return dir === undefined ? v : this.diskDir + v.slice(dir.length);
    }
    if (Array.isArray(v)) return Promise.all(v.map((x) => this.mapParams(x)));
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = await this.mapParams(x, k);
      return out;
    }
    return v;
  }

  private record(line: Line, what: string, detail: string | undefined, exceptions: readonly FidelityException[], lateMs?: number, behindPaceMs?: number): void {
    if (detail === undefined) {
      this.results.push({ file: line.file, index: line.index, what, status: 'pass', ...(lateMs !== undefined ? { lateMs } : {}), ...(behindPaceMs !== undefined ? { behindPaceMs } : {}) });
      return;
    }
    const method = what.split(' ')[0]!;
    const registered = this.registered();
    const ex = exceptionFor(exceptions, line.file, line.index, method, registered);
    if (ex) this.results.push({ file: line.file, index: line.index, what, status: 'excepted', detail, reason: ex.reason });
    else this.results.push({ file: line.file, index: line.index, what, status: 'fail', detail: failureDetail(method, detail, registered) });
  }

  async run(exceptions: readonly FidelityException[]): Promise<void> {
    for (const [name, size] of Object.entries(this.plan.disks ?? {})) this.sizeDisk(name, size);
    for (const [t, args] of Object.entries(this.plan.start) as Array<[TargetName, string[]]>) await this.startTarget(t, args);
    for (const part of this.plan.files) {
      const { file, from, to } = filePart(part);
      const whole = readTranscript(file);
      const lines = whole.filter((l) => l.index >= from && l.index <= to);
      const paced = this.plan.paced?.includes(file) ?? false;
      const paceUntil = paced ? lastTimedEvent(lines) : 0;
      let wallStart = performance.now();
      let recordedStart = lines[0]?.t_ms ?? 0;
      let lastT = recordedStart;
      const writer = this.plan.writers?.[file];
      const stopWriter = writer ? await this.startWriter(writer.target, writer.bdev) : async () => undefined;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i]!;
        if (paced && line.t_ms !== undefined && line.t_ms <= paceUntil) {
          // Timed scenarios (controller loss, blips) are replayed at the recorded pace.
          if (line.t_ms < lastT) {
            wallStart = performance.now();
            recordedStart = line.t_ms;
          }
          lastT = line.t_ms;
          const wait = wallStart + (line.t_ms - recordedStart) - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          this.lagMs = Math.max(0, performance.now() - (wallStart + (line.t_ms - recordedStart)));
        } else {
          this.lagMs = 0;
        }
        for (const action of this.plan.before?.[`${file}:${line.index}`] ?? []) await this.act(line, action, exceptions);
        if (line.raw_request !== undefined) {
          await this.rawProbe(line, lines[i + 1], exceptions);
        } else if (line.method !== null && line.response === null && /NO RESPONSE/.test(line.note ?? '')) {
          await this.unanswered(line, exceptions);
        } else if (line.method === null || line.response === null || line.response === undefined) {
          await this.noteAction(line, exceptions);
        } else if (/follow-up request on same connection/.test(line.note ?? '') && this.probe !== null) {
          await this.followUp(line, exceptions);
        } else if (this.plan.together?.includes(`${file}:${line.index}`) && lines[i + 1]?.method) {
          // Both in one write: they arrive in the same poll, as the recorded race had them.
          const next = lines[++i]!;
          const client = this.targets.get(line.target ?? 'A')?.client;
          let sent!: () => void;
          const first = new Promise<void>((resolve) => (sent = resolve));
          client?.cork();
          try {
            await Promise.all([this.call(line, exceptions, whole, { sent }), this.call(next, exceptions, whole, { after: first, sent: () => client?.uncork() })]);
          } finally {
            client?.uncork();
          }
        } else {
          await this.call(line, exceptions, whole);
        }
      }
      await stopWriter();
    }
  }

  /** Host-like writes, 4 KiB every 20 ms on their own connection, until the returned stop is called. */
  private async startWriter(target: TargetName, bdev: string): Promise<() => Promise<void>> {
    const client = await SimClient.connect(this.targets.get(target)!.sim.socket);
    let running = true;
    const loop = (async () => {
      for (let lba = 0; running; lba = (lba + 1) % 1024) {
        await client.request('sim_bdev_write', { name: bdev, offset_blocks: lba, data_base64: randomBytes(4096).toString('base64') });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    return async () => {
      running = false;
      client.close();
      await loop.catch(() => undefined);
    };
  }

  /**
   * A request spdk_tgt never answered (transcript 20: deleting an esnap parent in use): sent on its
   * own connection, as the recorder did, which must stay silent for UNANSWERED_MS and is then
   * closed; the next lines check that the target still serves the others.
   */
  private async unanswered(line: Line, exceptions: readonly FidelityException[]): Promise<void> {
    const target = this.targets.get(line.target ?? 'A')!;
    const params = line.params === null || line.params === undefined ? undefined : await this.mapParams(line.params);
    const conn = await RawConn.open(target.sim.socket);
    conn.write(JSON.stringify({ jsonrpc: '2.0', method: line.method, id: 1, ...(params !== undefined ? { params } : {}) }));
    const text = await conn.collect(1, UNANSWERED_MS);
    const closed = conn.closed;
    conn.close();
    const detail = text !== '' ? `answered ${text.trim().slice(0, 200)}; spdk_tgt never answered` : closed !== false ? 'the connection was closed; spdk_tgt kept it open' : undefined;
    this.record(line, `${line.method} (no answer)`, detail, exceptions);
  }

  private sizeDisk(name: string, bytes: number): void {
    mkdirSync(dirname(join(this.diskDir, name)), { recursive: true });
    const fd = openSync(join(this.diskDir, name), 'a');
    ftruncateSync(fd, bytes);
    closeSync(fd);
  }

  private async act(line: Line, action: Action, exceptions: readonly FidelityException[]): Promise<void> {
    switch (action.kind) {
      case 'restart':
        await this.startTarget(action.target, action.args);
        return;
      case 'kill': {
        const t = this.targets.get(action.target);
        this.targets.delete(action.target);
        t?.client.close();
        await t?.sim.kill();
        return;
      }
      case 'await': {
        const client = this.targets.get(action.target)!.client;
        const deadline = performance.now() + action.ms;
        while (!action.done((await client.request(action.method)).result)) {
          if (performance.now() > deadline) throw new Error(`${line.file}:${line.index}: ${action.method} never reached the recorded state within ${action.ms} ms`);
          await new Promise((r) => setTimeout(r, 100));
        }
        return;
      }
      case 'grow-disk':
        this.sizeDisk(action.file, action.bytes);
        return;
      case 'rpc':
        await this.targets.get(action.target)!.client.call(action.method, action.params);
        return;
      case 'start-fails': {
        let started: RunningSim | null = null;
        try {
          started = await startSim({ name: 'probe', args: ['--quiet', ...action.args], timeoutMs: 5000 });
        } catch {
          // Expected: spdk_tgt did not start with these options either.
        }
        const what = `(start with ${action.args.join(' ')} fails)`;
        this.record(line, what, started ? 'the simulator started; spdk_tgt did not' : undefined, exceptions);
        await started?.kill();
        return;
      }
    }
  }

  /**
   * Notes that describe data written from outside (spdk_dd over NVMe/TCP) are replayed with
   * sim_bdev_write, and spdk_dd reads (file 19) with sim_bdev_read, in spdk_dd's block size.
   */
  private async noteAction(line: Line, exceptions: readonly FidelityException[]): Promise<void> {
    const note = line.note ?? '';
    if (note.startsWith('key files created in ')) return this.writeKeyFiles(note);
    const sparse = /(\/\S+\.img) size (\d+), du --block-size=1 = (\d+), SEEK_DATA\/SEEK_HOLE ranges (\[.*?\]), md5/.exec(note);
    if (sparse !== null) return this.checkSparse(line, sparse[1]!, Number(sparse[2]), Number(sparse[3]), JSON.parse(sparse[4]!) as Array<[number, number]>, exceptions);
    const m = /wrote (\d+) MiB of random data at offset (\d+) MiB of (\S+?):/.exec(note);
    const dd = /spdk_dd (wrote|read) (\d+) MiB (?:\(md5 \w+\) )?(?:back )?(?:to|from) (?:raid )?([^\s,]+).*--bs (\d+)/.exec(note);
    // Transcript 20's forms: "spdk_dd wrote d1: 8 MiB random (md5 …) at offset 4 MiB of lvs/lvol:" and "spdk_dd read lvs/lvol (32 MiB):".
    const ddAt = /spdk_dd wrote \w+: (\d+) MiB random (?:\(md5 \w+\) )?at offset (\d+) MiB of (\S+?):/.exec(note);
    const ddRead = /spdk_dd read (\S+) \((\d+) MiB\):/.exec(note);
    if (m !== null) await this.hostIo(m[3]!, 'write', Number(m[2]) * MIB, Number(m[1]) * MIB, WRITE_CHUNK);
    else if (dd !== null) await this.hostIo(dd[3]!, dd[1] === 'wrote' ? 'write' : 'read', 0, Number(dd[2]) * MIB, Number(dd[4]));
    else if (ddAt !== null) await this.hostIo(ddAt[3]!, 'write', Number(ddAt[2]) * MIB, Number(ddAt[1]) * MIB, WRITE_CHUNK);
    else if (ddRead !== null) await this.hostIo(ddRead[1]!, 'read', 0, Number(ddRead[2]) * MIB, WRITE_CHUNK);
  }

  /**
   * Transcript 20 measured the staging files spdk_tgt's shallow copies wrote: their length, the
   * bytes allocated on disk (du) and the data ranges SEEK_DATA/SEEK_HOLE report. The simulator's
   * files must be sparse the same way (the service reads only those ranges).
   */
  private async checkSparse(line: Line, recorded: string, size: number, du: number, ranges: Array<[number, number]>, exceptions: readonly FidelityException[]): Promise<void> {
    const file = (await this.mapParams(recorded)) as string;
    const stat = statSync(file);
    const got = { size: stat.size, du: stat.blocks * 512, ranges: await dataRanges(file, stat.size) };
    const want = { size, du, ranges };
    const detail = JSON.stringify(got) === JSON.stringify(want) ? undefined : `file ${JSON.stringify(got)}, recorded ${JSON.stringify(want)}`;
    this.record(line, '(sparse staging file)', detail, exceptions);
  }

  /**
   * Transcript 18's first note lists the key files the recorder made (path, mode, content): they
   * are written under the session's disk dir with the recorded modes, where the mapped paths of
   * keyring_file_add_key point.
   */
  private async writeKeyFiles(note: string): Promise<void> {
    const files = JSON.parse(note.slice(note.indexOf(': {') + 2)) as Record<string, { path: string; mode: string; content: string }>;
    for (const file of Object.values(files)) {
      const path = (await this.mapParams(file.path)) as string;
      const mode = Number.parseInt(file.mode.replace(/^0o/, ''), 8);
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      writeFileSync(path, file.content, { mode });
      chmodSync(path, mode);
    }
  }

  private async hostIo(name: string, op: 'write' | 'read', start: number, total: number, chunk: number): Promise<void> {
    const client = this.targets.get('A')!.client;
    const [bdev] = await client.call<Array<{ block_size: number }>>('bdev_get_bdevs', { name });
    const bs = bdev!.block_size;
    for (let off = 0; off < total; off += chunk) {
      const bytes = Math.min(chunk, total - off);
      if (op === 'write') {
        await client.call('sim_bdev_write', { name, offset_blocks: (start + off) / bs, data_base64: randomBytes(bytes).toString('base64') });
      } else {
        await client.call('sim_bdev_read', { name, offset_blocks: (start + off) / bs, num_blocks: bytes / bs });
      }
    }
  }

  private compareResponse(method: string, recorded: { result?: unknown; error?: unknown }, got: { result?: unknown; error?: unknown }): string | undefined {
    if (recorded.error !== undefined) {
      if (JSON.stringify(got.error) === JSON.stringify(recorded.error)) return undefined;
      return `error ${JSON.stringify(recorded.error)} expected, got ${JSON.stringify(got.error ?? { result: got.result })}`.slice(0, 400);
    }
    if (got.error !== undefined) return `result expected, got error ${JSON.stringify(got.error)}`;
    const exact = this.plan.exact ? { exact: new Set(this.plan.exact) } : {};
    const diffs = compareShape(recorded.result, got.result, '$', method === 'spdk_get_version' ? { ...VERSION_EXTRA, ...exact } : exact);
    return diffs.length === 0 ? undefined : diffs.slice(0, 6).join('; ');
  }

  /** `order`: for lines sent together, `sent` is called once this one is written, `after` awaited before writing. */
  private async call(line: Line, exceptions: readonly FidelityException[], lines: readonly Line[], order: { sent?: () => void; after?: Promise<void> } = {}): Promise<void> {
    const target = this.targets.get(line.target ?? 'A');
    const method = line.method!;
    if (target === undefined) {
      this.record(line, method, `target ${line.target} is not running`, exceptions);
      return;
    }
    const params = line.params === null || line.params === undefined ? undefined : await this.mapParams(line.params);
    // A number no double holds (2^64-1) goes out as its recorded text.
    const send = () => (params !== undefined && JSON.stringify(params).includes(RAW_NUMBER) ? target.client.requestText(method, paramsText(params)) : target.client.request(method, params));
    const lagMs = this.lagMs;
    if (order.after) await order.after;
    const answer = send();
    order.sent?.();
    const got = await answer;
    const recorded = line.response as { result?: unknown; result_omitted?: boolean };
    if (recorded.result_omitted) {
      // Trimmed recording (files 10 and 12): only the kind of the result is known.
      this.record(line, method, Array.isArray(got.result) ? undefined : `array expected, got ${JSON.stringify(got).slice(0, 200)}`, exceptions);
      return;
    }
    this.learn(recorded.result, got.result);
    let detail = this.compareResponse(method, recorded, got);
    let lateMs: number | undefined;
    if (detail !== undefined && ((POLLS.has(method) && this.plan.paced?.includes(line.file)) || this.plan.polls?.includes(method))) {
      const since = performance.now();
      const earlier = earlierAnswers(lines, line);
      let answer = got;
      while (detail !== undefined) {
        const behind = earlier.some((e) => this.compareResponse(method, e, answer) === undefined) || copyBehind(method, recorded, answer);
        if (performance.now() - since >= (behind ? BEHIND_MS : LATE_MS)) break;
        await new Promise((r) => setTimeout(r, 20));
        answer = await send();
        detail = this.compareResponse(method, recorded, answer);
      }
      if (detail === undefined) lateMs = Math.round(performance.now() - since);
    }
    let behindPaceMs: number | undefined;
    if (detail !== undefined && lagMs > 0 && POLLS.has(method) && this.plan.paced?.includes(line.file)) {
      const ahead = laterAnswers(lines, line).find((l) => l.afterMs <= lagMs && this.compareResponse(method, l.response, got) === undefined);
      if (ahead !== undefined) {
        detail = undefined;
        behindPaceMs = Math.round(lagMs);
      }
    }
    this.record(line, method, detail, exceptions, lateMs, behindPaceMs);
  }

  /** Remembers uuids and operation ids the simulator gave where the recording had others. */
  private learn(recorded: unknown, got: unknown, key = ''): void {
    if (typeof recorded === 'string' && typeof got === 'string' && UUID.test(recorded) && recorded !== got) {
      this.seen.set(`uuid:${recorded}`, got);
    } else if (key === 'operation_id' && typeof recorded === 'number' && typeof got === 'number') {
      this.seen.set(`operation_id:${recorded}`, got);
    } else if (recorded !== null && got !== null && typeof recorded === 'object' && typeof got === 'object' && !Array.isArray(recorded)) {
      for (const [k, v] of Object.entries(recorded)) this.learn(v, (got as Record<string, unknown>)[k], k);
    }
  }

  private async followUp(line: Line, exceptions: readonly FidelityException[]): Promise<void> {
    const conn = this.probe!;
    this.probe = null;
    if (conn.closed !== false) {
      this.record(line, `${line.method} (follow-up)`, 'the probe connection was closed', exceptions);
      return;
    }
    // An id of its own: under load an answer to the connection's earlier request can arrive just
    // before or with the follow-up's, and is then told apart (and reported) rather than compared.
    conn.write(JSON.stringify({ jsonrpc: '2.0', method: line.method, id: FOLLOW_UP_ID }));
    const answers: string[] = [];
    for (let reads = 0; reads < 3 && !answers.some(isFollowUpAnswer); reads++) {
      const text = await conn.collect(1, QUIET_MS);
      if (text === '') break;
      answers.push(...text.split('\n').filter((l) => l.trim() !== ''));
    }
    conn.close();
    const others = answers.filter((a) => !isFollowUpAnswer(a));
    if (others.length > 0) {
      this.record(line, `${line.method} (follow-up)`, `answers to no request of the follow-up's came with it: ${others.map((a) => a.slice(0, 120)).join(' | ')}`, exceptions);
      return;
    }
    const answer = answers.find(isFollowUpAnswer);
    const got = answer === undefined ? { error: { code: 0, message: 'no answer' } } : (JSON.parse(answer) as object);
    this.record(line, `${line.method} (follow-up)`, this.compareResponse(line.method!, line.response as object, got), exceptions);
  }

  private async rawProbe(line: Line, next: Line | undefined, exceptions: readonly FidelityException[]): Promise<void> {
    const note = line.note ?? '';
    const target = this.targets.get(line.target ?? 'A')!;
    let raw = rebuildRaw(line.raw_request!);
    for (const m of [...raw.matchAll(/"trsvcid":"(\d+)"/g)]) {
      raw = raw.replace(m[0], `"trsvcid":"${(await this.mapParams(m[1], 'trsvcid')) as string}"`);
    }
    // The recorder logged E3 (an incomplete request) ending in "id":1, but the answer to its
    // completion (E3b) carries id 77: the bytes sent had the id the answer shows.
    const completion = /server waits/.test(note) && /completed 1 s later/.test(next?.note ?? '') ? /"id":(\d+)/.exec(next?.raw_response ?? '') : null;
    if (completion !== null) raw = raw.replace(/"id":\d+$/, `"id":${completion[1]}`);
    const expected = line.raw_response ?? '';
    const expectedLines = expected === '' ? 0 : expected.split('\n').length - 1;
    // E3b completes E3's request on E3's connection.
    const reuse = /completed 1 s later/.test(note) && this.probe !== null;
    if (!reuse) this.probe?.close();
    const conn = reuse ? this.probe! : await RawConn.open(target.sim.socket);
    this.probe = null;
    if (/split across two writes/.test(note)) {
      conn.write('{"jsonrpc":"2.0",');
      await new Promise((r) => setTimeout(r, 300));
    }
    conn.write(raw);
    const text = await conn.collect(expectedLines, expectedLines > 0 || line.connection_closed_by_server ? EXPECTED_DEADLINE_MS : QUIET_MS);
    const closed = conn.closed;
    const detail = this.compareRaw(expected, text, line.connection_closed_by_server ?? false, closed);
    this.record(line, `raw: ${note.slice(0, 60)}`, detail, exceptions);
    const keep = closed === false && (/follow-up request on same connection/.test(next?.note ?? '') || /server waits/.test(note));
    if (keep) this.probe = conn;
    else conn.close();
  }

  private compareRaw(expected: string, got: string, expectedClose: boolean | 'reset', closed: boolean | 'reset'): string | undefined {
    const problems: string[] = [];
    if (expectedClose !== closed)
      problems.push(`connection ${closed === false ? 'open' : closed === true ? 'closed' : 'reset'}, recorded ${expectedClose === false ? 'open' : expectedClose === true ? 'closed' : 'reset'}`);
    const exp = expected.split('\n').filter((l) => l !== '');
    const act = got.split('\n').filter((l) => l !== '');
    if (!got.endsWith('\n') && got !== '') problems.push('answer not terminated by a newline');
    if (exp.length !== act.length) problems.push(`${act.length} answer lines, recorded ${exp.length}`);
    const idOf = (l: string) => /"id":(null|"(?:[^"\\]|\\.)*"|-?[0-9][0-9.eE+-]*)/.exec(l)?.[1];
    for (let i = 0; i < Math.min(exp.length, act.length); i++) {
      const e = exp[i]!;
      const a = act[i]!;
      const ea = e.startsWith('[') ? (JSON.parse(e) as object[]) : [JSON.parse(e) as object];
      const aa = a.startsWith('[') ? (JSON.parse(a) as object[]) : [JSON.parse(a) as object];
      if (e.startsWith('[') !== a.startsWith('[')) problems.push(`line ${i}: batch framing differs`);
      if (idOf(e) !== idOf(a)) problems.push(`line ${i}: id ${idOf(a)}, recorded ${idOf(e)}`);
      if (ea.length !== aa.length) problems.push(`line ${i}: ${aa.length} batch answers, recorded ${ea.length}`);
      for (let k = 0; k < Math.min(ea.length, aa.length); k++) {
        const d = this.compareResponse('spdk_get_version', ea[k]!, aa[k]!);
        if (d) problems.push(`line ${i}[${k}]: ${d}`);
      }
    }
    return problems.length === 0 ? undefined : problems.join('; ');
  }
}

/** The id the follow-up request is sent with (the recordings' own requests use small ids). */
const FOLLOW_UP_ID = 7_000_001;

function isFollowUpAnswer(text: string): boolean {
  try {
    return (JSON.parse(text) as { id?: unknown }).id === FOLLOW_UP_ID;
  } catch {
    return false;
  }
}
