import type { EngineCreate, EngineInfo } from '../../src/domain/model.js';

/** The engine many tests stand on: a volume over this node's own replicas, exported (no host frontend) to one host. */
export function createLocalEngine(node: { engineCreate(request: EngineCreate): Promise<EngineInfo> }, name: string, sizeBytes: number, members: readonly string[], host: string): Promise<EngineInfo> {
  return node.engineCreate({ name, sizeBytes, replicas: members.map((m) => ({ name: m, kind: 'local' })), frontend: 'export-only', hostNqns: [host] });
}
