/**
 * The node API's protos, loaded once with the options the generated types in ./generated assume.
 * scripts/gen-proto-types.sh passes the same choices to proto-loader-gen-types; if the two ever
 * disagree the types lie about the runtime objects, which test/api/proto.test.ts guards against.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { protoPath as healthProtoPath } from 'grpc-health-check';
import type { ProtoGrpcType as EngineGrpcType } from './generated/engine.js';
import type { ProtoGrpcType as NodeGrpcType } from './generated/node.js';
import type { ProtoGrpcType as BackupGrpcType } from './generated/backup.js';

export const NODE_PROTO = 'spdk/conductor/v1/node.proto';
export const ENGINE_PROTO = 'spdk/conductor/v1/engine.proto';
export const BACKUP_PROTO = 'spdk/conductor/v1/backup.proto';
/** Every file of the API, in the order the generator is given them (scripts/gen-proto-types.sh). */
export const API_PROTOS = [NODE_PROTO, ENGINE_PROTO, BACKUP_PROTO] as const;
export { PACKAGE, SERVICE_NAMES } from './service-names.js';

/** The generator writes one index per file; both files share the package, so the types merge. */
export type ProtoGrpcType = NodeGrpcType & EngineGrpcType & BackupGrpcType;
export const HEALTH_SERVICE_NAME = 'grpc.health.v1.Health';
const HEALTH_PACKAGE_PREFIX = 'grpc.health.v1.';

/**
 * camelCase fields (the domain model's spelling), uint64 as number (checked for safety at the
 * edge: sizes are far below 2^53, and a value above it is refused, never rounded silently), enums
 * as their names, every field present so handlers never test for undefined.
 */
export const LOADER_OPTIONS = {
  keepCase: false,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
} as const satisfies protoLoader.Options;

/** rpc-schemas/proto, found from src/ (vitest) or dist/src/ (built) alike. */
export function protoDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'rpc-schemas', 'proto');
    if (existsSync(join(candidate, NODE_PROTO))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`rpc-schemas/proto/${NODE_PROTO} not found above ${fileURLToPath(import.meta.url)}`);
    dir = parent;
  }
}

/** grpc-health-check ships health/v1/health.proto; its include root is two levels above. */
function healthProtoDir(): string {
  return dirname(dirname(dirname(healthProtoPath)));
}

export interface LoadedProtos {
  /** The node API (node.proto and engine.proto): what the server implements and clients are built from. */
  definition: protoLoader.PackageDefinition;
  grpcObject: ProtoGrpcType;
  /** The node API plus grpc.health.v1, so reflection lists the health service too. */
  reflectionDefinition: protoLoader.PackageDefinition;
}

let loaded: LoadedProtos | undefined;

export function loadProtos(): LoadedProtos {
  if (loaded) return loaded;
  // Parsed once (the parse is most of the start's proto cost): the API's definition is the
  // reflection's without the health service, whose entries are all under its package.
  const reflectionDefinition = protoLoader.loadSync([...API_PROTOS, 'health/v1/health.proto'], {
    ...LOADER_OPTIONS,
    includeDirs: [protoDir(), healthProtoDir()],
  });
  const definition: protoLoader.PackageDefinition = {};
  for (const [name, entry] of Object.entries(reflectionDefinition)) if (!name.startsWith(HEALTH_PACKAGE_PREFIX)) definition[name] = entry;
  const grpcObject = grpc.loadPackageDefinition(definition) as unknown as ProtoGrpcType;
  loaded = { definition, grpcObject, reflectionDefinition };
  return loaded;
}
