/**
 * The simulator's latency parameters against the round trips real spdk_tgt v26.05 recorded: a
 * check of the model, not a measurement, so it gives the same verdict on any machine.
 *
 * The model: the RPC server polls every POLL_INTERVAL_MS; a request is handled at the first poll
 * after it arrives and its answer leaves at the poll after the handler finished, so a call the
 * handler answers at once takes one to two polls, and one the simulator holds for `hold` ms (an
 * attach) takes `hold` plus up to two polls. A recorded figure agrees when it lies in that range
 * widened by the row's tolerance. Which end of the range a client sees depends on where its
 * request lands between polls: spdk_tgt answered file 11's lvol creates in one poll, the
 * simulator answers a client that sends right after an answer in two; check:sim-latency's live
 * rows show that difference, this check does not.
 *
 * The figures: sequential calls of files 10 and 11 (medians; quiet machine); attaches of files
 * 01-16 (medians) and of file 18, whose machine was busy (README: "rtt_ms inflated"), so there the
 * fastest recorded call stands for the operation. File 12's bdev_get_bdevs of 1006 bdevs has no
 * model parameter (its cost is the simulator's own encoding): check:sim-latency measures it live.
 */
import fs from 'node:fs';
import path from 'node:path';
import { POLL_INTERVAL_MS } from '../../spdk/sim/core/poll-loop.js';
import { ATTACH_AUTH_MS, ATTACH_FAILURE_MS, ATTACH_MS, ATTACH_TLS_MS, AUTH_FAILURE_MS, AUTH_MISSING_MS } from '../../spdk/sim/nvme/rpc.js';

export interface LatencyParameters {
  readonly pollMs: number;
  readonly attachMs: number;
  readonly attachRefusedMs: number;
  readonly attachAuthMs: number;
  readonly attachTlsMs: number;
  readonly authFailedMs: number;
  readonly authKeyMissingMs: number;
}

/** The parameters the simulator runs with. */
export const SIMULATOR_PARAMETERS: LatencyParameters = {
  pollMs: POLL_INTERVAL_MS,
  attachMs: ATTACH_MS,
  attachRefusedMs: ATTACH_FAILURE_MS,
  attachAuthMs: ATTACH_AUTH_MS,
  attachTlsMs: ATTACH_TLS_MS,
  authFailedMs: AUTH_FAILURE_MS,
  authKeyMissingMs: AUTH_MISSING_MS,
};

/** Sequential calls: within half a millisecond of the model's range (clock and scheduling noise). */
const POLL_TOLERANCE_MS = 0.5;
/** Held calls (attaches): within a tenth of the hold. */
const HOLD_TOLERANCE = 0.1;

export interface LatencyRow {
  readonly what: string;
  readonly files: string;
  /** How the recorded figure is taken from the calls: their median, or their minimum (busy machine). */
  readonly statistic: 'median' | 'min';
  readonly recordedMs: number;
  readonly calls: number;
  readonly modelLowMs: number;
  readonly modelHighMs: number;
  readonly toleranceMs: number;
  readonly agrees: boolean;
}

interface Line {
  method?: string | null;
  params?: Record<string, unknown> | null;
  response?: { result?: unknown; error?: { code: number; message: string } } | null;
  rtt_ms?: number;
}

type Select = (line: Line) => boolean;

interface RowSpec {
  readonly what: string;
  readonly files: readonly number[];
  readonly statistic: 'median' | 'min';
  readonly select: Select;
  /** The simulator's hold for this call, ms (0: answered at once). */
  readonly hold: (p: LatencyParameters) => number;
}

const isAttach = (l: Line) => l.method === 'bdev_nvme_attach_controller';
const succeeded = (l: Line) => l.response?.result !== undefined;
const errorIs = (code: number, message?: string) => (l: Line) => l.response?.error?.code === code && (message === undefined || l.response.error.message === message);
const keyed = (l: Line) => l.params?.dhchap_key !== undefined || l.params?.psk !== undefined;
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

const ROWS: readonly RowSpec[] = [
  { what: 'spdk_get_version, one at a time', files: [10], statistic: 'median', select: (l) => l.method === 'spdk_get_version' && succeeded(l), hold: () => 0 },
  { what: 'bdev_lvol_create, one at a time', files: [11], statistic: 'median', select: (l) => l.method === 'bdev_lvol_create' && succeeded(l), hold: () => 0 },
  { what: 'attach over TCP', files: range(1, 16), statistic: 'median', select: (l) => isAttach(l) && succeeded(l) && !keyed(l), hold: (p) => p.attachMs },
  {
    what: 'attach refused (host not allowed)',
    files: range(1, 16),
    statistic: 'median',
    select: (l) => isAttach(l) && errorIs(-5)(l),
    hold: (p) => p.attachRefusedMs,
  },
  { what: 'attach with DH-HMAC-CHAP', files: [18], statistic: 'min', select: (l) => isAttach(l) && succeeded(l) && l.params?.dhchap_key !== undefined, hold: (p) => p.attachAuthMs },
  { what: 'attach with a TLS PSK', files: [18], statistic: 'min', select: (l) => isAttach(l) && succeeded(l) && l.params?.psk !== undefined, hold: (p) => p.attachTlsMs },
  // File 18's -5 answers fall in two groups: no exchange (~30 ms) and a failed exchange (~150 ms).
  {
    what: 'attach, DH-HMAC-CHAP key missing',
    files: [18],
    statistic: 'min',
    select: (l) => isAttach(l) && errorIs(-5)(l) && (l.rtt_ms ?? 0) < 100,
    hold: (p) => p.authKeyMissingMs,
  },
  {
    what: 'attach, DH-HMAC-CHAP exchange failed',
    files: [18],
    statistic: 'min',
    select: (l) => isAttach(l) && errorIs(-5)(l) && (l.rtt_ms ?? 0) >= 100,
    hold: (p) => p.authFailedMs,
  },
];

function figure(values: readonly number[], statistic: 'median' | 'min'): number {
  const s = [...values].sort((a, b) => a - b);
  return statistic === 'min' ? s[0]! : s[Math.floor((s.length - 1) / 2)]!;
}

function linesOf(dir: string, numbers: readonly number[]): Line[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.jsonl') && numbers.includes(Number(f.slice(0, 2))));
  return files.flatMap((f) =>
    fs
      .readFileSync(path.join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as Line),
  );
}

/** Every row: the recorded figure, the model's range for it, and whether they agree. */
export function checkLatencyModel(transcriptsDir: string, p: LatencyParameters = SIMULATOR_PARAMETERS): LatencyRow[] {
  return ROWS.map((spec) => {
    const rtts = linesOf(transcriptsDir, spec.files)
      .filter((l) => l.rtt_ms !== undefined && spec.select(l))
      .map((l) => l.rtt_ms!);
    if (rtts.length === 0) throw new Error(`no recorded calls for "${spec.what}" in files ${spec.files.join(', ')}`);
    const hold = spec.hold(p);
    const low = hold === 0 ? p.pollMs : hold;
    const high = hold + 2 * p.pollMs;
    const tolerance = hold === 0 ? POLL_TOLERANCE_MS : HOLD_TOLERANCE * hold;
    const recorded = figure(rtts, spec.statistic);
    const files = spec.files.length > 1 ? `${spec.files[0]}-${spec.files[spec.files.length - 1]}` : String(spec.files[0]);
    return {
      what: spec.what,
      files,
      statistic: spec.statistic,
      recordedMs: recorded,
      calls: rtts.length,
      modelLowMs: low,
      modelHighMs: high,
      toleranceMs: tolerance,
      agrees: recorded >= low - tolerance && recorded <= high + tolerance,
    };
  });
}

export function formatLatencyRows(rows: readonly LatencyRow[]): string {
  const out = [
    'model vs recorded (files; recorded median, or fastest for the busy machine of file 18)',
    'what                                   files   recorded                model              within',
  ];
  for (const r of rows) {
    const rec = `${r.recordedMs.toFixed(1)} ms ${r.statistic} of ${r.calls}`;
    const model = `${r.modelLowMs.toFixed(0)}-${r.modelHighMs.toFixed(0)} ms ±${r.toleranceMs.toFixed(1)}`;
    out.push(`${r.what.padEnd(38)} ${r.files.padEnd(7)} ${rec.padEnd(23)} ${model.padEnd(18)} ${r.agrees ? 'yes' : 'NO'}`);
  }
  return out.join('\n');
}
