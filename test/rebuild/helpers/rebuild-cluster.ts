/**
 * A cluster for rebuild tests: replica nodes and an engine node, each a real simulator process
 * with the real domain, and (with `api`) each serving its gRPC API on TCP so that the engine node
 * reaches the others as peers, as in production. A host simulator writes to the engine's export.
 */
import type { EngineInfo, EngineReplicaSpec, RebuildInfo } from '../../../src/domain/model.js';
import { ownerTag } from '../../../src/domain/node/naming.js';
import { startNode, type NodeFixture } from '../../domain/helpers/node-fixture.js';
import { checksum, ENGINE_HOST_NQN, FAST_BUDGET, Host, HOST_NQN, MIB, until } from '../../engine/helpers/cluster.js';
import { portBlock } from '../../helpers/ports.js';

export { checksum, Host, HOST_NQN, MIB, until };

export interface ClusterOptions {
  replicaNodes: number;
  sizeBytes: number;
  /** Serve APIs and give replica specs their api_address (snapshot-preserving rebuilds). */
  api: boolean;
  /** Extra env for the engine node (e.g. rebuild rate). */
  engineEnv?: Record<string, string>;
  diskMib?: number;
}

export interface ReplicaHost {
  fixture: NodeFixture;
}

export class RebuildCluster {
  private constructor(
    readonly nodes: NodeFixture[],
    readonly engineNode: NodeFixture,
    readonly options: ClusterOptions,
  ) {}

  static async start(options: ClusterOptions): Promise<RebuildCluster> {
    const nodes = await Promise.all(
      Array.from({ length: options.replicaNodes }, async () => {
        const portMin = portBlock();
        const fixture = await startNode({ portMin, api: options.api, env: { CONDUCTOR_ENGINE_HOST_NQN: `${ENGINE_HOST_NQN}-${portMin}` } });
        await fixture.node.diskCreate({ name: 'd', path: fixture.diskFile('d', options.diskMib ?? 2048) });
        return fixture;
      }),
    );
    const engineNode = await startNode({
      portMin: portBlock(),
      api: options.api,
      env: { CONDUCTOR_ENGINE_HOST_NQN: ENGINE_HOST_NQN, CONDUCTOR_ENGINE_MONITOR_PERIOD_MS: '200', ...FAST_BUDGET, ...options.engineEnv },
    });
    return new RebuildCluster(nodes, engineNode, options);
  }

  /** Creates `replica` on node `i`, exposed to the engine node, and returns its member spec. */
  async replica(i: number, replica: string): Promise<EngineReplicaSpec> {
    const node = this.nodes[i]!;
    const info = await node.node.replicaCreate(replica, 'd', this.options.sizeBytes, undefined, [ENGINE_HOST_NQN]);
    return {
      name: replica,
      kind: 'remote',
      address: '127.0.0.1',
      port: info.export!.port,
      nqn: info.export!.nqn,
      ...(this.options.api && node.apiAddress ? { apiAddress: node.apiAddress } : {}),
    };
  }

  async engine(name: string, members: EngineReplicaSpec[]): Promise<EngineInfo> {
    return this.engineNode.node.engineCreate({ name, sizeBytes: this.options.sizeBytes, replicas: members, frontend: 'export-only', hostNqns: [HOST_NQN] });
  }

  /** Waits until the rebuild ended (done, failed or cancelled) and returns it. */
  async rebuildEnd(engine: string, replica: string, timeoutMs: number): Promise<RebuildInfo> {
    return until(
      `rebuild of ${replica} into ${engine} to end`,
      timeoutMs,
      async () => {
        const rebuild = await this.engineNode.node.rebuildGet(engine, replica);
        return ['done', 'failed', 'cancelled'].includes(rebuild.state) && rebuild;
      },
      50,
    );
  }

  /** Waits until the rebuild reached `state` (e.g. rebuilding with the process started). */
  async rebuildAt(engine: string, replica: string, timeoutMs: number, test: (r: RebuildInfo) => boolean): Promise<RebuildInfo> {
    return until(
      `rebuild of ${replica} into ${engine} to reach the expected point`,
      timeoutMs,
      async () => {
        const rebuild = await this.engineNode.node.rebuildGet(engine, replica);
        if (['done', 'failed', 'cancelled'].includes(rebuild.state) && !test(rebuild)) throw new Error(`rebuild ended ${rebuild.state}: ${rebuild.reason}`);
        return test(rebuild) && rebuild;
      },
      20,
    );
  }

  /** The lvol alias of a replica's snapshot on node i. */
  snapshotAlias(replica: string, snapshot: string): string {
    return `lvs.d/s.${snapshot}.${ownerTag(replica)}`;
  }

  headAlias(replica: string): string {
    return `lvs.d/r.${replica}`;
  }

  async close(): Promise<void> {
    await this.engineNode.close();
    await Promise.all(this.nodes.map((n) => n.close()));
  }
}
