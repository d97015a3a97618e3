/**
 * spdk-conductor health [--liveness]: an exec probe. Asks grpc.health.v1 for "readiness" (or
 * "liveness"): first the health worker's listener (health.grpcAddress, which answers while the
 * service's main loop is busy), then, when that cannot be reached (a service without one), the
 * API's Unix socket. Exit 0 when SERVING, 3 otherwise (not ready, or the service unreachable), the
 * reason on stdout either way.
 */
import { withApiClients, type ApiTarget } from '../../api/client.js';
import { callFailure } from './context.js';
import { healthGrpcAddress } from '../../api/health-addresses.js';
import { grpcTarget, HEALTH_REASON_TRAILER } from '../../api/health-grpc.js';
import type { Config } from '../../config/schema.js';
import { EXIT } from '../exit-codes.js';

/** A probe's answer is needed fast; kubelet's own timeoutSeconds defaults to 1 s. */
const HEALTH_DEADLINE_MS = 5_000;

export async function healthCommand(config: Config, options: { liveness: boolean; json: boolean; out: (text: string) => void }): Promise<number> {
  const probe = options.liveness ? 'liveness' : 'readiness';
  const worker = healthGrpcAddress(config['health.grpcAddress'], config['api.socket']);
  const targets: ApiTarget[] = [];
  if (worker) targets.push(worker.unixSocket !== undefined ? { unixSocket: worker.unixSocket } : { tcpAddress: grpcTarget(worker) });
  targets.push({ unixSocket: config['api.socket'] });
  let answer: { status: string; reason: string } | undefined;
  for (const target of targets) {
    answer = await ask(target, probe);
    if (answer.status !== 'UNREACHABLE') break;
  }
  const { status, reason } = answer!;
  const ok = status === 'SERVING';
  options.out(options.json ? `${JSON.stringify({ probe, status, reason })}\n` : `${probe} ${status}${ok ? '' : `: ${reason}`}\n`);
  return ok ? EXIT.OK : EXIT.UNAVAILABLE;
}

async function ask(target: ApiTarget, probe: 'liveness' | 'readiness'): Promise<{ status: string; reason: string }> {
  let reason = '';
  try {
    const status = await withApiClients(target, (api) =>
      api.healthCheck(probe, {
        deadlineMs: HEALTH_DEADLINE_MS,
        onTrailers: (trailers) => {
          reason = String(trailers.get(HEALTH_REASON_TRAILER)[0] ?? '');
        },
      }),
    );
    return { status, reason };
  } catch (err) {
    const failure = callFailure(err, target.unixSocket !== undefined ? `unix:${target.unixSocket}` : target.tcpAddress);
    if (!failure) throw err;
    return { status: 'UNREACHABLE', reason: failure.message };
  }
}
