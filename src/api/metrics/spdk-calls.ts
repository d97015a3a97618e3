/**
 * spdk_tgt's calls as metrics: a latency histogram per method and failures by code, fed by the
 * `spdk-conductor:spdk:call` tracing channel (diagnostics.ts), so the JSON-RPC client knows nothing
 * of metrics. The channel is per process: two services in one process (some tests) count each
 * other's calls too.
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import { spdkCallChannel, type SpdkCallContext } from '../../diagnostics.js';

/** From a cached answer (~0.1 ms on a quiet spdk_tgt) to the slow deadline class. */
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

export class SpdkCallMetrics {
  private readonly duration: Histogram<'method'>;
  private readonly errors: Counter<'method' | 'code'>;
  private readonly listener = (message: unknown): void => this.record(message as SpdkCallContext);
  /** Each method's series, found once: labelling an observation hashes its labels on every call. */
  private readonly byMethod = new Map<string, ReturnType<Histogram<'method'>['labels']>>();

  constructor(registry: Registry) {
    this.duration = new Histogram({
      name: 'spdk_conductor_spdk_rpc_duration_seconds',
      help: 'Time from a JSON-RPC call to spdk_tgt to its end (answer, error or transport failure), by method',
      labelNames: ['method'],
      buckets: BUCKETS,
      registers: [registry],
    });
    this.errors = new Counter({
      name: 'spdk_conductor_spdk_rpc_errors_total',
      help: "spdk_tgt calls that failed, by method and code: spdk_tgt's JSON-RPC error code (e.g. -19), or how the call ended without one (timeout, closed, aborted, bad-result, ...)",
      labelNames: ['method', 'code'],
      registers: [registry],
    });
    spdkCallChannel.asyncEnd.subscribe(this.listener);
  }

  close(): void {
    spdkCallChannel.asyncEnd.unsubscribe(this.listener);
  }

  private record(call: SpdkCallContext): void {
    // Methods are spdk_tgt's fixed vocabulary (a few dozen): a bounded label.
    let series = this.byMethod.get(call.method);
    if (!series) {
      series = this.duration.labels(call.method);
      this.byMethod.set(call.method, series);
    }
    series.observe(call.durationMs / 1000);
    if (call.outcome === 'ok' || call.outcome === undefined) return;
    const code = call.outcome === 'rpc-error' ? String(call.rpcCode ?? 'unknown') : call.outcome;
    this.errors.inc({ method: call.method, code });
  }
}
