/**
 * spdk.conductor.v1.Node (what this node is, for its peers) and Snapshots.SnapshotShallowCopy, the
 * stream a peer's rebuild reads a snapshot copy's progress from. The copy lives exactly as long as
 * the stream: a client that cancels or goes away aborts it, and the domain then detaches the copy
 * target, which stops spdk_tgt's copy. Nothing is left for anyone to clean up.
 */
import type { handleServerStreamingCall, ServerWritableStream } from '@grpc/grpc-js';
import type { NodeHandlers } from '../generated/spdk/conductor/v1/Node.js';
import type { NodeInfo } from '../generated/spdk/conductor/v1/NodeInfo.js';
import type { NodeInfoRequest__Output } from '../generated/spdk/conductor/v1/NodeInfoRequest.js';
import type { NodeStats } from '../generated/spdk/conductor/v1/NodeStats.js';
import type { NodeStatsRequest__Output } from '../generated/spdk/conductor/v1/NodeStatsRequest.js';
import type { SpdkCallRequest__Output } from '../generated/spdk/conductor/v1/SpdkCallRequest.js';
import type { SpdkCallResponse } from '../generated/spdk/conductor/v1/SpdkCallResponse.js';
import type { SpdkInfo } from '../generated/spdk/conductor/v1/SpdkInfo.js';
import type { SpdkInfoRequest__Output } from '../generated/spdk/conductor/v1/SpdkInfoRequest.js';
import { ConductorError } from '../../errors.js';
import type { CopyTarget } from '../../domain/model.js';
import { hugepageBoundLabel, type NodeStatsView } from '../metrics/node-metrics.js';
import type { ShallowCopyProgress } from '../generated/spdk/conductor/v1/ShallowCopyProgress.js';
import type { SnapshotShallowCopyRequest__Output } from '../generated/spdk/conductor/v1/SnapshotShallowCopyRequest.js';
import { toStatus } from '../status.js';
import * as check from '../validate.js';
import { remainingMs, unary, type ServiceContext } from './call.js';

/** A copy stream says it is alive at least this often (the peer gives up after PEER_SILENCE_MS in grpc-peers.ts). */
export const HEARTBEAT_MS = 5_000;

/** How the server's TCP listener is secured, and its certificate's expiry now: the API's own facts, not the domain's. */
export type ApiSecurityInfo = Required<Pick<NodeInfo, 'apiTcpSecurity' | 'apiTcpClientCertRequired' | 'apiTcpCertificateNotAfter'>>;

/** The node's metrics as NodeStats reads them (api/metrics/node-metrics.ts). */
export interface NodeStatsSource {
  stats(top: number): NodeStatsView;
}

const DEFAULT_TOP = 5;
const MAX_TOP = 100;

export function nodeHandlers(ctx: ServiceContext, security: () => ApiSecurityInfo, stats?: NodeStatsSource): NodeHandlers {
  return {
    NodeInfo: unary<NodeInfoRequest__Output, NodeInfo>(ctx, 'NodeInfo', async (_request, call) => ({ ...(await ctx.domain.nodeInfo(call)), ...security() })),
    SpdkInfo: unary<SpdkInfoRequest__Output, SpdkInfo>(ctx, 'SpdkInfo', async (_request, call) => {
      const info = await ctx.domain.spdkInfo(call);
      return { version: info.version, simulatorName: info.simulator?.name ?? '', simulatorVersion: info.simulator?.version ?? '', methods: info.methods };
    }),
    SpdkCall: unary<SpdkCallRequest__Output, SpdkCallResponse>(ctx, 'SpdkCall', async (request, call) => {
      check.boundedRequest(request);
      const method = spdkMethod(request.method);
      const result = await ctx.domain.spdkCall(method, spdkParams(request.paramsJson), request.allowMutating, call);
      return { resultJson: JSON.stringify(result ?? null) };
    }),
    NodeStats: unary<NodeStatsRequest__Output, NodeStats>(ctx, 'NodeStats', async (request) => {
      const top = request.top === 0 ? DEFAULT_TOP : request.top;
      if (top > MAX_TOP) throw new ConductorError('INVALID_ARGUMENT', `top: ${top} is more than ${MAX_TOP}`, { field: 'top' });
      if (!stats) throw new ConductorError('NODE_STATS_UNAVAILABLE', 'this API server was started without the node metrics NodeStats reads');
      return nodeStatsMessage(stats.stats(top));
    }),
  };
}

/** SPDK's method names: lower case words joined by underscores (rpc_get_methods lists them so). */
const SPDK_METHOD = /^[a-z][a-z0-9_]{0,127}$/;

function spdkMethod(value: string): string {
  if (!SPDK_METHOD.test(value))
    throw check.invalid('method', `method: ${JSON.stringify(value.slice(0, 140))} is not an SPDK method name (lower case letters, digits and underscores, e.g. bdev_get_bdevs)`);
  return value;
}

/** The params as spdk_tgt takes them: a JSON object, or nothing. */
function spdkParams(json: string): object | undefined {
  if (json.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (err) {
    throw check.invalid('params_json', `params_json is not JSON: ${(err as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw check.invalid('params_json', 'params_json must be a JSON object (SPDK methods take named params)');
  return value;
}

function nodeStatsMessage(v: NodeStatsView): NodeStats {
  const o = v.observation;
  const enginesByState: Record<string, number> = {};
  for (const e of o.engines) enginesByState[e.state] = (enginesByState[e.state] ?? 0) + 1;
  const s = o.resources;
  const pool = s?.hugepages.pools.find((p) => p.pageSizeBytes === s.dma.pageSizeBytes) ?? s?.hugepages.pools[0];
  return {
    atMs: o.at,
    objects: o.objects,
    enginesByState,
    memory: {
      rssBytes: v.memory.rss,
      heapUsedBytes: v.memory.heapUsed,
      dmaMode: s?.dma.mode ?? 'unknown',
      dmaHeapBytes: s?.dma.heapBytes ?? 0,
      dmaFreeBytes: s?.dma.freeBytes ?? 0,
      dmaLargestFreeBytes: s?.dma.greatestFreeBytes ?? 0,
      dmaAvailableBytes: s?.dma.availableBytes ?? 0,
      hugepageSizeBytes: pool?.pageSizeBytes ?? 0,
      hugepagesTotal: pool?.total ?? 0,
      hugepagesFree: pool?.free ?? 0,
      hugepagesBound: s?.dma.bound ? hugepageBoundLabel(s.dma.bound) : '',
      hugepagesAvailable: s?.dma.growablePages ?? 0,
      hugepageBounds: (s?.dma.bounds ?? []).map((b) => ({ bound: hugepageBoundLabel(b.bound), availablePages: b.availablePages, limitBytes: b.limitBytes ?? 0, usedBytes: b.usedBytes ?? 0 })),
    },
    rebuilds: o.rebuilds.map((r) => ({
      engine: r.engine,
      replica: r.replica,
      state: r.state,
      percent: r.percent,
      bytesDone: r.bytesDone,
      bytesTotal: r.bytesTotal,
      rateBytesPerSec: r.rateBytesPerSec,
      etaSec: r.etaSec,
      queuePosition: r.queuePosition,
    })),
    topVolumes: v.topVolumes,
    ioWindowSec: v.ioWindowSec,
    subsystems: o.subsystems?.count ?? 0,
    maxSubsystems: o.subsystems?.max ?? 0,
    eventLoopDelayP99Sec: v.loop.p99Sec,
    eventLoopDelayWindowSec: v.loop.windowSec,
  };
}

export function shallowCopyHandler(ctx: ServiceContext): handleServerStreamingCall<SnapshotShallowCopyRequest__Output, ShallowCopyProgress> {
  return (call: ServerWritableStream<SnapshotShallowCopyRequest__Output, ShallowCopyProgress>) => {
    const method = 'SnapshotShallowCopy';
    const controller = new AbortController();
    const abort = (): void => controller.abort(new Error(`${method}: the client cancelled the call or its deadline passed`));
    call.on('cancelled', abort);
    call.on('close', abort);
    const start = async (): Promise<void> => {
      const request = call.request;
      check.boundedRequest(request);
      const replica = check.name('replica', 'replica_name', request.replicaName);
      const snapshot = check.name('snapshot', 'snapshot_name', request.snapshotName);
      const target: CopyTarget = {
        address: check.address('target_address', request.targetAddress),
        port: check.port('target_port', request.targetPort),
        nqn: check.nqn('target_nqn', request.targetNqn),
      };
      // A host with no secret is refused: the engine host NQN without keys is what an unset host means.
      if (request.host) {
        const hostSecrets = check.secrets('host.', request.host);
        if (!hostSecrets) throw check.invalid('host', "host is set but gives no secret: leave it unset to attach as this node's engine host NQN");
        target.host = { nqn: check.nqn('host.nqn', request.host.nqn), secrets: hostSecrets };
      }
      const deadlineMs = remainingMs(call);
      let last = '';
      let sentAt = 0;
      await ctx.domain.snapshotShallowCopy(
        replica,
        snapshot,
        target,
        (p) => {
          // Changes are sent, and the same progress again every HEARTBEAT_MS: the copy is polled
          // often and most polls report nothing new, but the peer must see that it is alive.
          const w = p.waitingFor;
          const key = `${p.state}/${p.copiedClusters}/${p.totalClusters}/${w ? `${w.holder}/${w.copiedClusters ?? ''}` : ''}`;
          if (controller.signal.aborted || (key === last && Date.now() - sentAt < HEARTBEAT_MS)) return;
          last = key;
          sentAt = Date.now();
          const waiting = w ? { waitingFor: w.holder, waitingCopiedClusters: w.copiedClusters ?? 0, waitingTotalClusters: w.totalClusters ?? 0 } : {};
          call.write({ state: p.state, copiedClusters: p.copiedClusters, totalClusters: p.totalClusters, clusterSizeBytes: p.clusterSizeBytes, ...waiting });
        },
        deadlineMs === undefined ? { signal: controller.signal } : { signal: controller.signal, deadlineMs },
      );
    };
    start().then(
      () => call.end(),
      (err: unknown) => {
        if (!controller.signal.aborted) call.emit('error', toStatus(err, ctx.logger, method));
      },
    );
  };
}
