/**
 * Other nodes' services, as a rebuild needs them: a snapshot-preserving rebuild asks the source
 * replica's node to shallow-copy its snapshots into the new replica, whose node then snapshots
 * them. The engine's own node is a peer too (NodeService has these methods), so a local replica
 * takes the same path as a remote one.
 *
 * Peers are used only to build: no cleanup ever needs one. If a peer is gone, what it held is its
 * own to remove (copy controllers are detached by the copying node itself, on every path).
 */
import type { CallOptions } from '../spdk/call.js';
import type { CopyTarget, ExposeMode, HostSecrets, NodeInfo, ReplicaInfo, ShallowCopyProgress, SnapshotCreate, SnapshotInfo } from './model.js';

export interface PeerNode {
  /** For messages: "this node" or "node 10.0.0.2:50151". */
  readonly where: string;
  /**
   * Whether what is sent to this node stays between the two nodes: this node itself (no network),
   * or a peer called over mutual TLS (client.tls.*). Secrets are sent to confidential peers only.
   */
  readonly confidential: boolean;
  nodeInfo(options?: CallOptions): Promise<NodeInfo>;
  replicaGet(name: string, options?: CallOptions): Promise<ReplicaInfo>;
  /**
   * `mode` as ReplicaExpose's: without one, a replica exposed to other hosts is refused (EXPOSE_MODE_REQUIRED).
   * `secrets` by host NQN: those hosts must authenticate (sent to a confidential peer only).
   */
  replicaExpose(name: string, hostNqns: string[], options?: CallOptions, mode?: ExposeMode, secrets?: ReadonlyMap<string, HostSecrets>): Promise<ReplicaInfo>;
  replicaUnexpose(name: string, options?: CallOptions): Promise<ReplicaInfo>;
  /** ReplicaExpand (an engine expansion grows its members); `checkOnly`: the checks alone, nothing changed. */
  replicaExpand(name: string, sizeBytes: number, options?: CallOptions, force?: boolean, checkOnly?: boolean): Promise<ReplicaInfo>;
  snapshotList(replicaName: string, options?: CallOptions): Promise<SnapshotInfo[]>;
  snapshotCreate(request: SnapshotCreate, options?: CallOptions): Promise<SnapshotInfo>;
  snapshotDelete(replicaName: string, name: string, options?: CallOptions): Promise<unknown>;
  /** SnapshotRevert: the replica's head becomes the snapshot's data (an exposed replica only while no host is connected). */
  snapshotRevert(replicaName: string, name: string, options?: CallOptions, force?: boolean): Promise<ReplicaInfo>;
  snapshotShallowCopy(replicaName: string, snapshot: string, target: CopyTarget, onProgress: (progress: ShallowCopyProgress) => void, options?: CallOptions): Promise<ShallowCopyProgress>;
}

/** Finds the service at a replica's api_address; one connection per address, closed with the directory. */
export interface PeerDirectory {
  peer(apiAddress: string): PeerNode;
  close(): void;
}

/** A directory that knows no other node: every rebuild that needs one falls back to the raid path. */
export const NO_PEERS: PeerDirectory = {
  peer(apiAddress: string): PeerNode {
    const refuse = (): Promise<never> => Promise.reject(new Error(`no peer directory on this node: cannot reach ${apiAddress}`));
    return {
      where: `node ${apiAddress}`,
      confidential: false,
      nodeInfo: refuse,
      replicaGet: refuse,
      replicaExpose: refuse,
      replicaUnexpose: refuse,
      replicaExpand: refuse,
      snapshotList: refuse,
      snapshotCreate: refuse,
      snapshotDelete: refuse,
      snapshotRevert: refuse,
      snapshotShallowCopy: refuse,
    };
  },
  close: () => undefined,
};
