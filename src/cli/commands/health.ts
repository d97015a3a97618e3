/**
 * spdk-conductor health [--liveness]: an exec probe. Asks the service's grpc.health.v1 for
 * "readiness" (or "liveness") over its Unix socket; exit 0 when SERVING, 3 otherwise (not ready,
 * or the service unreachable), the reason on stdout either way.
 */
import { withApiClients } from '../../api/client.js';
import { callFailure } from './context.js';
import { HEALTH_REASON_TRAILER } from '../../api/server.js';
import type { Config } from '../../config/schema.js';
import { EXIT } from '../exit-codes.js';

/** A probe's answer is needed fast; kubelet's own timeoutSeconds defaults to 1 s. */
const HEALTH_DEADLINE_MS = 5_000;

export async function healthCommand(config: Config, options: { liveness: boolean; json: boolean; out: (text: string) => void }): Promise<number> {
  const probe = options.liveness ? 'liveness' : 'readiness';
  const socket = config['api.socket'];
  let reason = '';
  let status: string;
  try {
    status = await withApiClients({ unixSocket: socket }, (api) =>
      api.healthCheck(probe, {
        deadlineMs: HEALTH_DEADLINE_MS,
        onTrailers: (trailers) => {
          reason = String(trailers.get(HEALTH_REASON_TRAILER)[0] ?? '');
        },
      }),
    );
  } catch (err) {
    const failure = callFailure(err, `unix:${socket}`);
    if (!failure) throw err;
    status = 'UNREACHABLE';
    reason = failure.message;
  }
  const ok = status === 'SERVING';
  options.out(options.json ? `${JSON.stringify({ probe, status, reason })}\n` : `${probe} ${status}${ok ? '' : `: ${reason}`}\n`);
  return ok ? EXIT.OK : EXIT.UNAVAILABLE;
}
