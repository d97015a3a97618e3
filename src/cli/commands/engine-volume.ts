/**
 * spdk-conductor engine expand|qos|stats: a volume's size, its QoS limits and its I/O. `engine get`
 * shows the same through volumeRows.
 */
import { invoke } from '../../api/client.js';
import type { Engine__Output } from '../../api/generated/spdk/conductor/v1/Engine.js';
import type { EngineQos__Output } from '../../api/generated/spdk/conductor/v1/EngineQos.js';
import type { EngineStatsResponse__Output } from '../../api/generated/spdk/conductor/v1/EngineStatsResponse.js';
import { EXIT } from '../exit-codes.js';
import type { CommandSpec, CommandValues } from './context.js';
import { watch } from './node.js';
import { fields, formatSize, json, parseSize, type Cell } from './format.js';
import { UsageError } from './usage.js';

const QOS_FLAGS = [
  ['rw-iops', 'rwIosPerSec'],
  ['rw-mbps', 'rwMbytesPerSec'],
  ['r-mbps', 'rMbytesPerSec'],
  ['w-mbps', 'wMbytesPerSec'],
] as const satisfies ReadonlyArray<readonly [keyof CommandValues, string]>;

/** "2000 IOPS, 100 MiB/s rw, 50 MiB/s read, unlimited write": every limit, 0 said as unlimited. */
export function qosText(q: EngineQos__Output | null): string {
  if (!q || [q.rwIosPerSec, q.rwMbytesPerSec, q.rMbytesPerSec, q.wMbytesPerSec].every((v) => Number(v) === 0)) return 'none';
  const limit = (v: number | string, unit: string) => (Number(v) === 0 ? `unlimited ${unit}` : `${v} ${unit}`);
  return [limit(q.rwIosPerSec, 'IOPS'), limit(q.rwMbytesPerSec, 'MiB/s read+write'), limit(q.rMbytesPerSec, 'MiB/s read'), limit(q.wMbytesPerSec, 'MiB/s write')].join(', ');
}

/** The rows `engine get` adds: QoS, an unfinished expansion or revert, the last I/O reading. */
export function volumeRows(engine: Engine__Output): (readonly [string, Cell])[] {
  const rows: (readonly [string, Cell])[] = [['qos', qosText(engine.qos)]];
  const x = engine.expansion;
  if (x) rows.push(['expanding', `to ${formatSize(Number(x.sizeBytes))} (grown: ${x.grown.join(', ') || 'none yet'}); engine expand ${engine.name} --size ${x.sizeBytes} completes it`]);
  const rv = engine.revert;
  if (rv) rows.push(['reverting', `to snapshot ${rv.snapshot} from ${rv.source}, done: ${rv.phase}; engine snapshot-revert ${engine.name} ${rv.snapshot} completes it`]);
  const io = engine.io;
  if (io) {
    const avg = (sec: number, ops: number | string) => (Number(ops) > 0 ? `${((sec / Number(ops)) * 1e6).toFixed(0)} µs avg` : '-');
    rows.push(
      ['io read', `${io.readOps} ops, ${formatSize(Number(io.readBytes))}, ${avg(io.readLatencySec, io.readOps)}`],
      ['io write', `${io.writeOps} ops, ${formatSize(Number(io.writeBytes))}, ${avg(io.writeLatencySec, io.writeOps)}`],
      ['io read at', new Date(Number(io.sampledAtMs)).toISOString()],
    );
  }
  return rows;
}

function statsText(s: EngineStatsResponse__Output): string {
  const r = s.rates;
  const rows: (readonly [string, Cell])[] = [['engine', s.name]];
  if (s.io) {
    rows.push(['total read', `${s.io.readOps} ops, ${formatSize(Number(s.io.readBytes))}`], ['total write', `${s.io.writeOps} ops, ${formatSize(Number(s.io.writeBytes))}`]);
  }
  if (r && r.windowSec > 0) {
    rows.push(
      ['window', `${r.windowSec.toFixed(1)} s`],
      ['read', `${r.readOpsPerSec.toFixed(1)} IOPS, ${formatSize(r.readBytesPerSec)}/s, ${(r.readLatencyAvgSec * 1e6).toFixed(0)} µs avg`],
      ['write', `${r.writeOpsPerSec.toFixed(1)} IOPS, ${formatSize(r.writeBytesPerSec)}/s, ${(r.writeLatencyAvgSec * 1e6).toFixed(0)} µs avg`],
    );
  }
  if (s.reason) rows.push(['note', s.reason]);
  return fields(rows);
}

function limitFlag(flag: string, text: string): number {
  if (!/^\d+$/.test(text.trim())) throw new UsageError(`--${flag} ${JSON.stringify(text)} is not a whole number (0 = unlimited)`);
  return Number(text.trim());
}

export const engineVolumeCommands: CommandSpec[] = [
  {
    name: 'engine expand',
    args: ['NAME'],
    options: ['size'],
    usage: 'engine expand NAME --size SIZE   (grows the volume online: every member, then the raid and its export; resumable, the same size again does nothing; a refusal changes nothing)',
    prepare(values, [name]) {
      if (!values.size) throw new UsageError('engine expand needs --size SIZE (the new, larger size, e.g. 2GiB)');
      const sizeBytes = parseSize('--size', values.size);
      return async (ctx) => {
        const engine = await invoke(ctx.api.engines, 'EngineExpand', { name: name!, sizeBytes }, ctx.call);
        ctx.out(ctx.json ? json(engine) : `engine ${engine.name} is ${formatSize(Number(engine.sizeBytes))} (${engine.sizeBytes} bytes)\n`);
        return EXIT.OK;
      };
    },
  },
  {
    name: 'engine qos',
    args: ['NAME'],
    options: ['rw-iops', 'rw-mbps', 'r-mbps', 'w-mbps'],
    usage:
      'engine qos NAME [--rw-iops N] [--rw-mbps N] [--r-mbps N] [--w-mbps N]   (limits on the volume; 0 = unlimited, a limit not given is kept;\n' +
      '      spdk_tgt rounds IOPS up to a multiple of 1000: the limits in force are printed, with what was rounded)',
    prepare(values, [name]) {
      const request: Record<string, unknown> = { name: name! };
      for (const [flag, field] of QOS_FLAGS) {
        const text = values[flag];
        if (text !== undefined) request[field] = limitFlag(flag, text);
      }
      if (Object.keys(request).length === 1) throw new UsageError('engine qos needs at least one of --rw-iops, --rw-mbps, --r-mbps, --w-mbps');
      return async (ctx) => {
        const reply = await invoke(ctx.api.engines, 'EngineQosSet', request as { name: string }, ctx.call);
        if (ctx.json) ctx.out(json(reply));
        else ctx.out(`engine ${name} QoS: ${qosText(reply.qos)}\n${reply.adjustments.map((a) => `  note: ${a}\n`).join('')}`);
        return EXIT.OK;
      };
    },
  },
  {
    name: 'engine stats',
    args: ['NAME'],
    options: ['watch'],
    usage: 'engine stats NAME [--watch]   (the volume I/O: totals, and rates and mean latency over the last metrics.iostatPeriodMs window)',
    prepare(values, [name]) {
      return async (ctx) => {
        const once = async (): Promise<void> => {
          const stats = await invoke(ctx.api.engines, 'EngineStats', { name: name! }, ctx.call);
          if (ctx.json) ctx.out(values.watch ? `${JSON.stringify(stats)}\n` : json(stats));
          else ctx.out(`${values.watch && process.stdout.isTTY ? '\x1b[H\x1b[2J' : ''}${statsText(stats)}${values.watch ? '\n' : ''}`);
        };
        await once();
        if (!values.watch) return EXIT.OK;
        return watch(ctx, once);
      };
    },
  },
];
