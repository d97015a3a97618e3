/**
 * The health worker's former gRPC listener, on grpc-js with grpc-health-check: kept only so that
 * scripts/bench-health-grpc.ts can compare it with the node:http2 one the thread runs
 * (health-worker-h2.ts; HealthWorker's `grpcServer: 'grpc-js'` selects this one).
 */
import { chmod } from 'node:fs/promises';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { ConductorError } from '../errors.js';
import type { HealthReport, Probe } from './health.js';
import type { HealthGrpcAddress } from './health-addresses.js';
import type { HealthGrpcServer } from './health-worker-h2.js';
import { grpcTarget, serveHealth } from './health-grpc.js';
import { prepareSocketPath, removeSocket } from './socket-file.js';

/** How long close() lets Watch streams end before cutting them off, ms. */
const CLOSE_GRACE_MS = 1_000;

export async function startHealthGrpc(address: HealthGrpcAddress, report: (probe: Probe) => HealthReport): Promise<HealthGrpcServer> {
  const server = new Server({ 'grpc.enable_channelz': 0, 'grpc.max_receive_message_length': 4096, 'grpc.max_concurrent_streams': 64 });
  const served = serveHealth(server, report);
  if (address.unixSocket !== undefined) await prepareSocketPath(address.unixSocket, 'health.grpcAddress');
  const wanted = grpcTarget(address);
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(wanted, ServerCredentials.createInsecure(), (err, bound) => {
      if (err) reject(new ConductorError('API_LISTEN_FAILED', `cannot serve health.grpcAddress on ${wanted}: ${err.message}`, { address: wanted }, { cause: err }));
      else resolve(bound);
    });
  });
  // Like the API's socket: owner and group only (the service gives it the API socket's group).
  if (address.unixSocket !== undefined) {
    await chmod(address.unixSocket, 0o660).catch((err: unknown) => {
      server.forceShutdown();
      throw err;
    });
  }
  const target = address.tcp ? grpcTarget({ tcp: { host: address.tcp.host, port } }) : wanted;
  let closing: Promise<void> | undefined;
  return {
    target,
    publish: served.publish,
    close() {
      closing ??= (async () => {
        served.stop(true);
        await new Promise<void>((resolve) => {
          const force = setTimeout(() => {
            server.forceShutdown();
            resolve();
          }, CLOSE_GRACE_MS);
          server.tryShutdown(() => {
            clearTimeout(force);
            resolve();
          });
        });
        if (address.unixSocket !== undefined) await removeSocket(address.unixSocket);
      })();
      return closing;
    },
  };
}
