/**
 * spdk-conductor node info: what the node is, and how its API is secured; node stats: the node at
 * a glance (objects, memory, rebuilds, busiest volumes), once or every WATCH_MS with --watch.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { invoke } from '../../api/client.js';
import type { NodeMemoryStats__Output } from '../../api/generated/spdk/conductor/v1/NodeMemoryStats.js';
import type { NodeStats__Output } from '../../api/generated/spdk/conductor/v1/NodeStats.js';
import { EXIT } from '../exit-codes.js';
import type { CommandContext, CommandSpec } from './context.js';
import { fields, formatSize, json, table } from './format.js';
import { UsageError } from './usage.js';

/** How often --watch asks again: the volume I/O rates change every metrics.iostatPeriodMs anyway. */
const WATCH_MS = 2_000;

export const nodeCommands: CommandSpec[] = [
  {
    name: 'node info',
    args: [],
    options: [],
    usage: 'node info',
    prepare() {
      return async ({ api, call, out, json: asJson }) => {
        const info = await invoke(api.node, 'NodeInfo', {}, call);
        out(
          asJson
            ? json(info)
            : fields([
                ['version', info.version],
                ['spdk', `${info.spdkVersion}${info.simulator ? ' (simulator)' : ''}`],
                ['host nqn', info.hostNqn],
                ['export address', info.exportAddress],
                ['shallow copy', info.shallowCopy ? 'yes' : 'no'],
                ['max subsystems', `${info.maxSubsystems} (${info.maxSubsystemsSource})`],
                ['reactors', info.reactorMode ? `${info.reactorMode} mode` : 'not sampled yet'],
                ['api tcp', info.apiTcpSecurity || 'off'],
                ['client certificate', info.apiTcpClientCertRequired ? 'required' : 'not required'],
                ...(info.apiTcpCertificateNotAfter ? [['api certificate', `expires ${info.apiTcpCertificateNotAfter}`] as [string, string]] : []),
              ]),
        );
        return EXIT.OK;
      };
    },
  },
  {
    name: 'node stats',
    args: [],
    options: ['watch', 'top'],
    usage: 'node stats [--watch] [--top N]',
    prepare(values) {
      const top = values.top === undefined ? 0 : Number(values.top);
      if (values.top !== undefined && (!Number.isInteger(top) || top < 1 || top > 100)) throw new UsageError(`--top ${JSON.stringify(values.top)} is not a whole number from 1 to 100`);
      return async (ctx) => {
        const once = async (): Promise<void> => {
          const stats = await invoke(ctx.api.node, 'NodeStats', { top }, ctx.call);
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

/** Asks again every WATCH_MS until interrupted (exit 0, also mid-call: it only reads); a failed call ends it with its status. */
export async function watch(ctx: CommandContext, once: () => Promise<void>): Promise<number> {
  const signal = ctx.call.signal;
  for (;;) {
    try {
      await sleep(WATCH_MS, undefined, signal ? { signal } : {});
      await once();
    } catch (err) {
      if (signal?.aborted) return EXIT.OK;
      throw err;
    }
  }
}

/**
 * "spdk_tgt_limit (378 more pages); node_pool 1024, spdk_tgt_limit 378 (limit 1.5 GiB, 780 MiB used)":
 * which bound sets the pages spdk_tgt's heap can still map, then each bound's figure.
 */
function boundText(m: NodeMemoryStats__Output): string {
  if (m.hugepagesBound === '') return m.dmaMode === 'unknown' ? 'not sampled' : 'none: the heap maps no more pages, or they cannot be read';
  const each = m.hugepageBounds.map((b) =>
    b.bound === 'node_pool' ? `${b.bound} ${b.availablePages}` : `${b.bound} ${b.availablePages} (limit ${formatSize(b.limitBytes)}, ${formatSize(b.usedBytes)} used)`,
  );
  return `${m.hugepagesBound} (${m.hugepagesAvailable} more pages); ${each.join(', ')}`;
}

/** The health worker's window the loop delay covers: "over the last 10.0 s window" (an older service sends none). */
function loopWindowText(windowSec: number): string {
  return windowSec > 0 ? `over the last ${windowSec.toFixed(1)} s window` : 'over the last window';
}

function statsText(s: NodeStats__Output): string {
  const o = s.objects;
  const m = s.memory;
  const engines = Object.entries(s.enginesByState)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${n} ${state}`)
    .join(', ');
  const pages = m && m.hugepageSizeBytes > 0 ? `${m.hugepagesFree} of ${m.hugepagesTotal} free (${formatSize(m.hugepageSizeBytes)} each)` : 'unknown';
  const dma =
    m && m.dmaMode !== 'unknown'
      ? `${formatSize(m.dmaFreeBytes)} free of ${formatSize(m.dmaHeapBytes)}, largest block ${formatSize(m.dmaLargestFreeBytes)}, ${formatSize(m.dmaAvailableBytes)} available (${m.dmaMode})`
      : 'not sampled';
  let text = fields([
    ['at', new Date(s.atMs).toISOString()],
    ['objects', o ? `${o.disks} disks, ${o.replicas} replicas, ${o.snapshots} snapshots, ${o.exports} exports, ${o.engines} engines, ${o.rebuilds} rebuilds` : undefined],
    ['engines', engines || 'none'],
    ['subsystems', s.maxSubsystems > 0 ? `${s.subsystems} of ${s.maxSubsystems}` : 'not counted yet'],
    ['service memory', m ? `${formatSize(m.rssBytes)} resident, ${formatSize(m.heapUsedBytes)} heap` : undefined],
    ['dma memory', dma],
    ['hugepages', pages],
    ['hugepage bound', m ? boundText(m) : undefined],
    ['main loop delay', `p99 ${(s.eventLoopDelayP99Sec * 1000).toFixed(1)} ms (${loopWindowText(s.eventLoopDelayWindowSec)})`],
  ]);
  if (s.rebuilds.length > 0) {
    text += `\n${table(
      ['ENGINE', 'REPLICA', 'STATE', 'PROGRESS', 'RATE', 'ETA'],
      s.rebuilds.map((r) => [
        r.engine,
        r.replica,
        r.state === 'queued' ? `queued #${r.queuePosition}` : r.state,
        `${r.percent}% (${formatSize(r.bytesDone)} of ${formatSize(r.bytesTotal)})`,
        r.rateBytesPerSec > 0 ? `${formatSize(Math.round(r.rateBytesPerSec))}/s` : '-',
        r.etaSec >= 0 ? `${r.etaSec} s` : '-',
      ]),
    )}`;
  }
  if (s.ioWindowSec === 0) return `${text}\ntop volumes: not sampled twice yet (metrics.iostatPeriodMs)\n`;
  text += `\ntop volumes by I/O over the last ${s.ioWindowSec.toFixed(1)} s:\n`;
  if (s.topVolumes.length === 0) return `${text}none\n`;
  return (
    text +
    table(
      ['ENGINE', 'READ IOPS', 'WRITE IOPS', 'READ', 'WRITE'],
      s.topVolumes.map((v) => [
        v.engine,
        Math.round(v.readOpsPerSec),
        Math.round(v.writeOpsPerSec),
        `${formatSize(Math.round(v.readBytesPerSec))}/s`,
        `${formatSize(Math.round(v.writeBytesPerSec))}/s`,
      ]),
    )
  );
}
