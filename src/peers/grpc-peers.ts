/**
 * Peer nodes over their gRPC API (RemoteReplica.api_address): one channel per address, kept while
 * this service runs and closed with it. Calls carry the caller's deadline and signal; the stream of
 * a shallow copy is cancelled when the signal aborts, which makes the peer stop its copy. With a
 * client certificate (client.tls.*) every peer is called over mutual TLS, and a rotated certificate
 * is used from the next connection on.
 */
import type { Logger } from 'pino';
import { createApiClients, invoke, type ApiClientOptions, type ApiClients, type UnaryOptions } from '../api/client.js';
import { fromStatus } from '../api/status.js';
import { ConductorError } from '../errors.js';
import type { Snapshot__Output } from '../api/generated/spdk/conductor/v1/Snapshot.js';
import type { Replica__Output } from '../api/generated/spdk/conductor/v1/Replica.js';
import type { ShallowCopyProgress__Output } from '../api/generated/spdk/conductor/v1/ShallowCopyProgress.js';
import type * as grpc from '@grpc/grpc-js';
import type { CallOptions } from '../spdk/call.js';
import type { CopyTarget, ExposeMode, HostSecrets, NodeInfo, ReplicaInfo, ShallowCopyProgress, SnapshotCreate, SnapshotInfo } from '../domain/model.js';
import type { PeerDirectory, PeerNode } from '../domain/peers.js';

const EXPOSE_MODES = { add: 'EXPOSE_MODE_ADD', replace: 'EXPOSE_MODE_REPLACE', remove: 'EXPOSE_MODE_REMOVE' } as const satisfies Record<ExposeMode, string>;

/** A peer call without a deadline of its own gets this one; a copy stream gets none (it ends when the copy does). */
const DEFAULT_DEADLINE_MS = 30_000;
/** A copy stream silent this long is given up on (its peer sends progress at least every 5 s). */
export const PEER_SILENCE_MS = 30_000;

export interface GrpcPeerOptions {
  /** How long a copy stream may stay silent before it is given up on; default PEER_SILENCE_MS. */
  silenceMs?: number;
  /** This node's client certificate for peers' APIs that require mutual TLS (client.tls.*); none: plain TCP. */
  tls?: ApiClientOptions['tls'];
}

export class GrpcPeerDirectory implements PeerDirectory {
  private readonly peers = new Map<string, GrpcPeer>();

  constructor(
    private readonly log: Logger,
    private readonly options: GrpcPeerOptions = {},
  ) {}

  peer(apiAddress: string): PeerNode {
    let peer = this.peers.get(apiAddress);
    if (!peer) {
      peer = new GrpcPeer(apiAddress, this.log.child({ peer: apiAddress }), this.options.silenceMs ?? PEER_SILENCE_MS, this.options.tls);
      this.peers.set(apiAddress, peer);
    }
    return peer;
  }

  close(): void {
    for (const peer of this.peers.values()) peer.close();
    this.peers.clear();
  }
}

class GrpcPeer implements PeerNode {
  readonly where: string;
  /** Called over mutual TLS: secrets may be sent. Over plain TCP they never are. */
  readonly confidential: boolean;
  private readonly clients: ApiClients;

  constructor(
    address: string,
    private readonly log: Logger,
    private readonly silenceMs: number,
    tls: ApiClientOptions['tls'],
  ) {
    this.where = `node ${address}`;
    this.confidential = tls !== undefined;
    this.clients = createApiClients({ tcpAddress: address }, { tls });
  }

  close(): void {
    this.clients.close();
  }

  async nodeInfo(options?: CallOptions): Promise<NodeInfo> {
    const info = await this.call(() => invoke(this.clients.node, 'NodeInfo', {}, unaryOptions(options)));
    return {
      hostNqn: info.hostNqn,
      spdkVersion: info.spdkVersion,
      simulator: info.simulator,
      shallowCopy: info.shallowCopy,
      exportAddress: info.exportAddress,
      version: info.version,
      maxSubsystems: info.maxSubsystems,
      maxSubsystemsSource: info.maxSubsystemsSource,
      // A peer of an older version says nothing ('').
      reactorMode: info.reactorMode === 'polling' || info.reactorMode === 'interrupt' || info.reactorMode === 'mixed' ? info.reactorMode : '',
    };
  }

  async replicaGet(name: string, options?: CallOptions): Promise<ReplicaInfo> {
    return replicaInfo(await this.call(() => invoke(this.clients.replicas, 'ReplicaGet', { name }, unaryOptions(options))));
  }

  async replicaExpose(name: string, hostNqns: string[], options?: CallOptions, mode?: ExposeMode, secrets?: ReadonlyMap<string, HostSecrets>): Promise<ReplicaInfo> {
    if (secrets && secrets.size > 0) this.mustBeConfidential('replica expose with host keys');
    // A host with secrets goes in `hosts` (with them), the others in `host_nqns`.
    const hosts = hostNqns.filter((h) => secrets?.has(h)).map((nqn) => hostAccess(nqn, secrets!.get(nqn)!));
    const request = { name, hostNqns: hostNqns.filter((h) => !secrets?.has(h)), hosts, mode: mode === undefined ? 'EXPOSE_MODE_UNSPECIFIED' : EXPOSE_MODES[mode] } as const;
    return replicaInfo(await this.call(() => invoke(this.clients.replicas, 'ReplicaExpose', request, unaryOptions(options))));
  }

  async replicaUnexpose(name: string, options?: CallOptions): Promise<ReplicaInfo> {
    return replicaInfo(await this.call(() => invoke(this.clients.replicas, 'ReplicaUnexpose', { name }, unaryOptions(options))));
  }

  async replicaExpand(name: string, sizeBytes: number, options?: CallOptions, force = false, checkOnly = false): Promise<ReplicaInfo> {
    const request = { name, sizeBytes, force, checkOnly };
    return replicaInfo(await this.call(() => invoke(this.clients.replicas, 'ReplicaExpand', request, unaryOptions(options))));
  }

  async snapshotList(replicaName: string, options?: CallOptions): Promise<SnapshotInfo[]> {
    const reply = await this.call(() => invoke(this.clients.snapshots, 'SnapshotList', { replicaName }, unaryOptions(options)));
    return reply.snapshots.map(snapshotInfo);
  }

  async snapshotCreate(request: SnapshotCreate, options?: CallOptions): Promise<SnapshotInfo> {
    const reply = await this.call(() =>
      invoke(
        this.clients.snapshots,
        'SnapshotCreate',
        { replicaName: request.replicaName, name: request.name, labels: request.labels ?? {}, userCreated: request.userCreated ?? true },
        unaryOptions(options),
      ),
    );
    return snapshotInfo(reply);
  }

  async snapshotDelete(replicaName: string, name: string, options?: CallOptions): Promise<void> {
    await this.call(() => invoke(this.clients.snapshots, 'SnapshotDelete', { replicaName, name }, unaryOptions(options)));
  }

  async snapshotRevert(replicaName: string, name: string, options?: CallOptions, force = false): Promise<ReplicaInfo> {
    return replicaInfo(await this.call(() => invoke(this.clients.snapshots, 'SnapshotRevert', { replicaName, name, force }, unaryOptions(options))));
  }

  snapshotShallowCopy(replicaName: string, snapshot: string, target: CopyTarget, onProgress: (progress: ShallowCopyProgress) => void, options?: CallOptions): Promise<ShallowCopyProgress> {
    return new Promise((resolve, reject) => {
      const signal = options?.signal;
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      let last: ShallowCopyProgress | undefined;
      let silent: Error | undefined;
      if (target.host) {
        try {
          this.mustBeConfidential('shallow copy with host keys');
        } catch (error) {
          reject(error);
          return;
        }
      }
      const host = target.host ? { host: hostAccess(target.host.nqn, target.host.secrets) } : {};
      const stream = this.clients.snapshots.SnapshotShallowCopy({ replicaName, snapshotName: snapshot, targetAddress: target.address, targetPort: target.port, targetNqn: target.nqn, ...host });
      const onAbort = (): void => stream.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      // The peer sends progress at least every few seconds; a peer that goes quiet (hung, or its
      // network blackholed) is given up on, which cancels its copy once it can hear again.
      let watchdog: NodeJS.Timeout | undefined;
      const watch = (): void => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => {
          silent = new ConductorError('PEER_SILENT', `${this.where}: no word of the shallow copy of ${snapshot} for ${this.silenceMs / 1000} s`);
          stream.cancel();
        }, this.silenceMs);
        watchdog.unref();
      };
      watch();
      stream.on('data', (m: ShallowCopyProgress__Output) => {
        watch();
        last = { state: m.state === 'complete' ? 'complete' : 'in progress', copiedClusters: m.copiedClusters, totalClusters: m.totalClusters, clusterSizeBytes: m.clusterSizeBytes };
        if (m.waitingFor) {
          const known = m.waitingTotalClusters > 0 ? { copiedClusters: m.waitingCopiedClusters, totalClusters: m.waitingTotalClusters } : {};
          last.waitingFor = { holder: m.waitingFor, ...known };
        }
        onProgress(last);
      });
      stream.on('error', (err: grpc.ServiceError) => {
        clearTimeout(watchdog);
        signal?.removeEventListener('abort', onAbort);
        reject(signal?.aborted ? signal.reason : (silent ?? fromStatus(err, `${this.where}: shallow copy of ${snapshot}`)));
      });
      stream.on('end', () => {
        clearTimeout(watchdog);
        signal?.removeEventListener('abort', onAbort);
        if (last?.state === 'complete') resolve(last);
        else reject(new Error(`${this.where}: the shallow copy of ${snapshot} ended without completing`));
      });
    });
  }

  /** Secrets never go over plain TCP: the caller checks `confidential` first, this is the last guard. */
  private mustBeConfidential(what: string): void {
    if (!this.confidential) throw new ConductorError('FAILED_PRECONDITION', `${this.where}: a ${what} is not sent: peer calls are not over mutual TLS (client.tls.* is not set)`);
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      this.log.debug({ err: (error as Error).message }, 'peer call failed');
      throw fromStatus(error, this.where);
    }
  }
}

/** A HostAccess message: the host and its secrets (empty strings for those not given). */
function hostAccess(nqn: string, secrets: HostSecrets): { nqn: string; dhchapKey: string; dhchapCtrlrKey: string; psk: string } {
  return { nqn, dhchapKey: secrets.dhchapKey ?? '', dhchapCtrlrKey: secrets.dhchapCtrlrKey ?? '', psk: secrets.psk ?? '' };
}

function unaryOptions(options?: CallOptions): UnaryOptions {
  return { deadlineMs: options?.deadlineMs ?? DEFAULT_DEADLINE_MS, signal: options?.signal };
}

function replicaInfo(r: Replica__Output): ReplicaInfo {
  return {
    name: r.name,
    diskName: r.diskName,
    sizeBytes: r.sizeBytes,
    lvolUuid: r.lvolUuid,
    lvolAlias: r.lvolAlias,
    allocatedBytes: r.allocatedBytes,
    export: r.export
      ? {
          nqn: r.export.nqn,
          address: r.export.address,
          port: r.export.port,
          hostNqns: [...r.export.hostNqns],
          namespaceUuid: r.export.namespaceUuid,
          namespaceNguid: r.export.namespaceNguid,
          hostAuth: r.export.hostAuth.map((h) => ({ nqn: h.nqn, dhchap: h.dhchapBidirectional ? 'bidirectional' : h.dhchap ? 'one-way' : 'none', tls: h.tls })),
          secureChannel: r.export.secureChannel,
        }
      : undefined,
    headParent: r.headParent || undefined,
    snapshotCount: r.snapshotCount,
  };
}

function snapshotInfo(s: Snapshot__Output): SnapshotInfo {
  const seconds = Number(s.createdAt?.seconds ?? 0);
  return {
    name: s.name,
    replicaName: s.replicaName,
    createdAt: new Date(seconds * 1000 + Math.floor((s.createdAt?.nanos ?? 0) / 1e6)),
    labels: { ...s.labels },
    parent: s.parent || undefined,
    children: [...s.children],
    sizeBytes: s.sizeBytes,
    allocatedBytes: s.allocatedBytes,
    userCreated: s.userCreated,
    ...(s.deletePending ? { deletePending: true } : {}),
  };
}
