/**
 * The per-engine families, written as exposition text directly. They are most of a node's series
 * (hundreds of engines, a dozen series each), and prom-client's per-series label hashing and
 * formatting cost ~150 ms of the event loop for 500 engines on the loaded test machine
 * (`npm run bench:metrics`); a plain pass over the observation costs a few. Same text format,
 * same registry response: the families below are appended to prom-client's output.
 *
 * Engine state is written as the current state only (value 1), members as the states that have
 * members: series that would always be 0 are left out.
 */
import type { VolumeIoCounters, VolumeIoSample } from '../../domain/engine/volume-io.js';
import type { EngineObservation, NodeObservation } from '../../domain/node/observation.js';

interface Family {
  name: string;
  type: 'gauge' | 'counter';
  help: string;
}

const P = 'spdk_conductor_';

const ENGINE = {
  state: { name: `${P}engine_state`, type: 'gauge', help: "1 for the engine's current state (healthy, degraded, faulted; unknown: not looked at since the start)" },
  members: { name: `${P}engine_members`, type: 'gauge', help: "An engine's members by state (states with no member are left out)" },
  size: { name: `${P}engine_size_bytes`, type: 'gauge', help: "An engine's volume size" },
  margin: {
    name: `${P}timeout_budget_margin_seconds`,
    type: 'gauge',
    help: 'How far a replica-side deadline stays inside the host limit it races, per engine and rule (below the required margin: a lost replica could fail the volume)',
  },
  required: { name: `${P}timeout_budget_required_margin_seconds`, type: 'gauge', help: "The margin the rule requires (one reconnect period of the engine's budget)" },
} as const satisfies Record<string, Family>;

const VOLUME: ReadonlyArray<Family & { value: keyof VolumeIoCounters }> = [
  { name: `${P}volume_read_ops_total`, type: 'counter', help: "Reads an engine's volume served (its raid bdev)", value: 'readOps' },
  { name: `${P}volume_write_ops_total`, type: 'counter', help: "Writes an engine's volume served (its raid bdev)", value: 'writeOps' },
  { name: `${P}volume_unmap_ops_total`, type: 'counter', help: "Unmaps an engine's volume served (its raid bdev)", value: 'unmapOps' },
  { name: `${P}volume_read_bytes_total`, type: 'counter', help: "Bytes read from an engine's volume", value: 'readBytes' },
  { name: `${P}volume_written_bytes_total`, type: 'counter', help: "Bytes written to an engine's volume", value: 'writeBytes' },
  { name: `${P}volume_unmapped_bytes_total`, type: 'counter', help: "Bytes unmapped on an engine's volume", value: 'unmapBytes' },
  { name: `${P}volume_read_latency_seconds_total`, type: 'counter', help: "Sum of the reads' latencies of an engine's volume (its rate over the ops' rate is the mean)", value: 'readLatencySec' },
  { name: `${P}volume_write_latency_seconds_total`, type: 'counter', help: "Sum of the writes' latencies of an engine's volume", value: 'writeLatencySec' },
];

/** Every family written here, for the dashboard's check and the docs. */
export const ENGINE_FAMILY_NAMES: readonly string[] = [...Object.values(ENGINE), ...VOLUME].map((f) => f.name);

/**
 * Lines written between two turns of the loop given back: engines whose lines are written (~8 µs
 * each once compiled, so ~1 ms a batch; 4-5 times that at the process's first scrape), and
 * volumes at a new I/O sample (~2.5 µs each: 500 engines' volume lines are one batch). A render
 * whose lines are mostly kept runs in one turn. The turns are counted in writes, not in time as
 * node/slices.ts does: a scrape given back to the loop waits behind all the I/O callbacks ready
 * meanwhile (under churn, tens of ms a turn on a loaded machine), and a pass over kept lines (~0.6
 * ms for 500 engines) that was descheduled gains nothing from a turn.
 */
const ENGINES_PER_TURN = 128;
const VOLUMES_PER_TURN = 512;

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** One engine's lines of each of the five ENGINE families (UTF-8), and what they were written from. */
interface EngineLines {
  key: string;
  margins: EngineObservation['margins'];
  lines: [Buffer, Buffer, Buffer, Buffer, Buffer];
  /** The render that last saw the engine: one not seen by the latest is gone. */
  seen: number;
}

/**
 * The families as bytes, each engine's lines kept while what they show is unchanged (its state,
 * member counts, size, budget margins), and the volume lines kept per volume I/O sample: a scrape
 * at 500 engines joins kept bytes instead of writing ~600 KiB of text again. Lines that must be
 * written in batches (ENGINES_PER_TURN, VOLUMES_PER_TURN) with a turn of the loop between them.
 */
export class EngineFamilies {
  private readonly engines = new Map<string, EngineLines>();
  private volume: { sample: VolumeIoSample; lines: Buffer[] } | undefined;
  private renders = 0;

  /**
   * The families' bytes, in exposition order, to be joined into one body: kept lines are
   * encoded once, when written, so a scrape copies bytes instead of flattening and encoding a
   * rope of thousands of strings (3-10 ms per scrape at 500 engines).
   * The observation is the scrape's, taken before the first slice: the text is of one moment.
   */
  async render(o: NodeObservation, io: VolumeIoSample | undefined): Promise<Buffer[]> {
    const render = ++this.renders;
    const families: Buffer[][] = [ENGINE.state, ENGINE.members, ENGINE.size, ENGINE.margin, ENGINE.required].map((f) => [HEADERS.get(f.name)!]);
    let written = 0;
    for (const e of o.engines) {
      const key = `${e.state}|${e.members.healthy},${e.members.rebuilding},${e.members.failed},${e.members.missing}|${e.sizeBytes}`;
      let kept = this.engines.get(e.name);
      if (kept === undefined || kept.key !== key || kept.margins !== e.margins) {
        kept = { key, margins: e.margins, lines: engineLines(e), seen: render };
        this.engines.set(e.name, kept);
        if (++written % ENGINES_PER_TURN === 0) await turn();
      }
      kept.seen = render;
      for (let i = 0; i < 5; i++) if (kept.lines[i]!.length > 0) families[i]!.push(kept.lines[i]!);
    }
    if (this.engines.size > o.engines.length) for (const [name, kept] of this.engines) if (kept.seen !== render) this.engines.delete(name);
    return [...families.flat(), ...(await this.volumeLines(io))];
  }

  private async volumeLines(io: VolumeIoSample | undefined): Promise<Buffer[]> {
    if (io === undefined) return VOLUME.map((f) => HEADERS.get(f.name)!);
    if (this.volume?.sample === io) return this.volume.lines;
    const lines = VOLUME.map(() => '');
    let written = 0;
    for (const [name, v] of io.engines) {
      const engine = `{engine="${label(name)}"} `;
      VOLUME.forEach((f, i) => {
        lines[i] += `${f.name}${engine}${num(v[f.value])}\n`;
      });
      if (++written % VOLUMES_PER_TURN === 0) await turn();
    }
    // Encoded once per sample (every iostat period), each family with its header.
    const bodies = keptBytes(lines);
    const encoded = VOLUME.flatMap((f, i) => [HEADERS.get(f.name)!, bodies[i]!]);
    this.volume = { sample: io, lines: encoded };
    return encoded;
  }
}

function engineLines(e: EngineObservation): EngineLines['lines'] {
  const engine = `{engine="${label(e.name)}"`;
  let members = '';
  for (const s in e.members) {
    const n = e.members[s as keyof typeof e.members];
    if (n > 0) members += `${ENGINE.members.name}${engine},state="${s}"} ${n}\n`;
  }
  let margin = '';
  let required = '';
  for (const m of e.margins) {
    if (!m.applies || m.marginSec === null) continue;
    margin += `${ENGINE.margin.name}${engine},rule="${m.rule}"} ${num(m.marginSec)}\n`;
    required += `${ENGINE.required.name}${engine},rule="${m.rule}"} ${num(m.requiredSec)}\n`;
  }
  const text: string[] = [`${ENGINE.state.name}${engine},state="${e.state}"} 1\n`, members, `${ENGINE.size.name}${engine}} ${e.sizeBytes}\n`, margin, required];
  return keptBytes(text) as EngineLines['lines'];
}

/**
 * Kept texts encoded into one buffer of their own, exactly their size, each a view of it. Not
 * `Buffer.from` per text: a text under 4 KiB becomes a slice of Buffer's shared 8 KiB pool, and a
 * kept slice holds the whole slab and whatever else was cut from it. 500 engines' lines, re-made
 * as engines change under churn, held ~160 such slabs (1.3 MiB for ~0.2 MiB of lines) in a heap
 * snapshot of bench:scale at rest.
 */
function keptBytes(texts: readonly string[]): Buffer[] {
  let length = 0;
  for (const t of texts) length += Buffer.byteLength(t);
  const bytes = Buffer.allocUnsafeSlow(length);
  let at = 0;
  return texts.map((t) => {
    if (t === '') return EMPTY;
    const end = at + bytes.write(t, at);
    const view = bytes.subarray(at, end);
    at = end;
    return view;
  });
}

const EMPTY = Buffer.alloc(0);

/** Each family's HELP and TYPE lines, encoded once. */
const HEADERS: ReadonlyMap<string, Buffer> = new Map([...Object.values(ENGINE), ...VOLUME].map((f: Family) => [f.name, Buffer.from(`# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`)]));

/** Engine names are [a-z0-9-]; escaped all the same, as the text format requires. */
function label(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

function num(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}
