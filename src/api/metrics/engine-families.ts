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
import type { NodeObservation } from '../../domain/node/observation.js';
import { forEachSliced } from '../../domain/node/slices.js';

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
 * In slices (domain/node/slices.ts): 500 engines are ~600 KiB of text, tens of milliseconds of the
 * loop on a loaded node if written in one go. The observation is the scrape's, taken before the
 * first slice, so the text is of one moment whatever changes meanwhile.
 */
export async function renderEngineFamilies(o: NodeObservation, io: VolumeIoSample | undefined): Promise<string> {
  // One pass per family group, each line appended to one string (V8 joins them as ropes, without arrays).
  let state = header(ENGINE.state);
  let members = header(ENGINE.members);
  let size = header(ENGINE.size);
  let margin = header(ENGINE.margin);
  let required = header(ENGINE.required);
  await forEachSliced(o.engines, (e) => {
    const engine = `{engine="${label(e.name)}"`;
    state += `${ENGINE.state.name}${engine},state="${e.state}"} 1\n`;
    for (const s in e.members) {
      const n = e.members[s as keyof typeof e.members];
      if (n > 0) members += `${ENGINE.members.name}${engine},state="${s}"} ${n}\n`;
    }
    size += `${ENGINE.size.name}${engine}} ${e.sizeBytes}\n`;
    for (const m of e.margins) {
      if (!m.applies || m.marginSec === null) continue;
      margin += `${ENGINE.margin.name}${engine},rule="${m.rule}"} ${num(m.marginSec)}\n`;
      required += `${ENGINE.required.name}${engine},rule="${m.rule}"} ${num(m.requiredSec)}\n`;
    }
  });
  const volume = VOLUME.map(header);
  await forEachSliced([...(io?.engines ?? [])], ([name, v]) => {
    const engine = `{engine="${label(name)}"} `;
    VOLUME.forEach((f, i) => {
      volume[i] += `${f.name}${engine}${num(v[f.value])}\n`;
    });
  });
  return state + members + size + margin + required + volume.join('');
}

function header(f: Family): string {
  return `# HELP ${f.name} ${f.help}\n# TYPE ${f.name} ${f.type}\n`;
}

/** Engine names are [a-z0-9-]; escaped all the same, as the text format requires. */
function label(value: string): string {
  return /[\\"\n]/.test(value) ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n') : value;
}

function num(v: number): string {
  if (Number.isFinite(v)) return String(v);
  return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
}
