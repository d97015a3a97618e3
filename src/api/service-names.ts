/**
 * The API's package and service names, with nothing imported: the health worker's grpc.health.v1
 * listener names them without loading gRPC (api/proto.ts re-exports them for everything else).
 */
export const PACKAGE = 'spdk.conductor.v1';
export const SERVICE_NAMES = [`${PACKAGE}.Disks`, `${PACKAGE}.Replicas`, `${PACKAGE}.Snapshots`, `${PACKAGE}.Engines`, `${PACKAGE}.Node`, `${PACKAGE}.Backups`] as const;
