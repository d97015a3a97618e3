/**
 * V8 keeps a per-process promise that no ArrayBuffer has ever been detached (its "array buffer
 * detaching protector"), and optimized code that touches a typed array or a Buffer (timers,
 * nextTick, async hooks, streams, protobufjs, the SPDK framing) leaves out the detach check on
 * the strength of it. The first detach in the process breaks the promise, and V8 throws away
 * every such function at once, to compile it again on its threads as it gets hot again.
 *
 * The service detaches buffers in normal work: each /metrics scrape transfers the exposition's
 * bytes to the health thread (`api/health-worker.ts`), `sha256OffLoop` a block outside the shared
 * slots to a hash thread (`objectstore/hash-pool.ts`). Left to the first scrape, that happened at
 * an arbitrary moment under load: ~110 hot functions recompiled in the middle of 1,000 creates in
 * `bench:replicas` (~0.1-0.25 ms of CPU per create on V8's threads alone). Detaching one empty
 * buffer at start moves it to where nothing is optimized yet, so a warm service stays warm
 * through its first scrape or backup.
 */
export function settleDetachProtector(): void {
  const buffer = new ArrayBuffer(0);
  structuredClone(buffer, { transfer: [buffer] });
}
