/**
 * The service's observability seam: named `node:diagnostics_channel` channels that the bottom
 * layers publish to, so metrics, tracing and tests subscribe from outside instead of having hooks
 * threaded through constructors. Every channel name and message type is here; publishers check
 * `hasSubscribers` first, so a channel nobody listens to costs one property read.
 *
 * A subscriber sees only what its own process publishes (a test must run the service in-process),
 * and must not throw: diagnostics_channel reports a throwing subscriber as an uncaught exception.
 */
import diagnostics_channel from 'node:diagnostics_channel';
import type { TransportFailure } from './errors.js';

/** The channel names: stable, namespaced, part of the service's interface. */
export const CHANNELS = {
  /**
   * A tracing channel (`tracing:spdk-conductor:spdk:call:start`, `:end`, `:asyncStart`,
   * `:asyncEnd`, `:error`), one context object per call from start to end: a tracer may keep
   * its span on it.
   */
  spdkCall: 'spdk-conductor:spdk:call',
  objectChange: 'spdk-conductor:object:change',
  rebuild: 'spdk-conductor:rebuild',
} as const;

/**
 * How a call to spdk_tgt ended: answered, refused by spdk_tgt (see `rpcCode`), answered with
 * something its contract does not allow, never answered (the transport failure: timeout, aborted,
 * closed...), or an error of the client itself (a bug).
 */
export type SpdkCallOutcome = 'ok' | 'rpc-error' | 'bad-result' | TransportFailure | 'internal';

/**
 * One call to spdk_tgt, the same object on every event of the call. `start` and `end` bracket the
 * synchronous dispatch; `error` (when it failed), `asyncStart` and `asyncEnd` come when it settles,
 * with the outcome and the duration filled in. A call sent again after a lost connection (an
 * idempotent one) is a second call with its own events; the first ends `closed`.
 */
export interface SpdkCallContext {
  readonly method: string;
  /** The object the call names (its contract's objectKey), whose calls run one at a time. */
  readonly objectKey: string | undefined;
  /** performance.now() when the call was made. */
  readonly startedAt: number;
  /** The JSON-RPC id, from when the request is written; undefined if it never was. */
  id: number | undefined;
  /** Milliseconds from the call to its end, set when it settles. */
  durationMs: number;
  outcome: SpdkCallOutcome | undefined;
  /** spdk_tgt's error code, for `rpc-error`. */
  rpcCode: number | undefined;
  error?: Error;
  result?: unknown;
}

/**
 * A change of one of the node's objects, published where the API's watch streams are told of it.
 * Snapshots and exports are changes of their replica (kind 'replica', the reason says which).
 */
export interface ObjectChange {
  kind: 'disk' | 'replica' | 'engine';
  name: string;
  type: 'added' | 'modified' | 'deleted';
  /** The object's state after the change, for objects that have one (an engine's). */
  state: string | undefined;
  reason: string;
  /** An operation of this service made the change, or the engine monitor found it in spdk_tgt. */
  source: 'operation' | 'monitor';
}

/**
 * A rebuild's way through its life: `queued`, `started` (left the queue), `path-chosen` (again
 * when the snapshot copy falls back to the raid rebuild), `process-started` (spdk_tgt's raid
 * process showed), `progress` (every 10%), `ended` (state done, failed or cancelled, with why).
 */
export interface RebuildLifecycle {
  event: 'queued' | 'started' | 'path-chosen' | 'process-started' | 'progress' | 'ended';
  engine: string;
  replica: string;
  state: 'queued' | 'copying-snapshots' | 'rebuilding' | 'done' | 'failed' | 'cancelled';
  path: 'snapshot-preserving' | 'raid' | undefined;
  /** Why the path was chosen for `path-chosen`; the rebuild's current reason otherwise. */
  reason: string;
  percent: number;
  bytesDone: number;
  bytesTotal: number;
  /** Milliseconds since the rebuild was queued. */
  elapsedMs: number;
}

interface Messages {
  [CHANNELS.objectChange]: ObjectChange;
  [CHANNELS.rebuild]: RebuildLifecycle;
}

/** A channel whose messages have one type. */
export interface Topic<T> {
  readonly name: string | symbol;
  readonly hasSubscribers: boolean;
  publish(message: T): void;
}

export const spdkCallChannel = diagnostics_channel.tracingChannel<SpdkCallContext, SpdkCallContext>(CHANNELS.spdkCall);
export const objectChangeChannel: Topic<ObjectChange> = diagnostics_channel.channel(CHANNELS.objectChange);
export const rebuildChannel: Topic<RebuildLifecycle> = diagnostics_channel.channel(CHANNELS.rebuild);

/** Subscribes to a channel with its message type; returns the unsubscribe. */
export function subscribe<N extends keyof Messages>(name: N, listener: (message: Messages[N]) => void): () => void {
  const onMessage = (message: unknown): void => listener(message as Messages[N]);
  diagnostics_channel.subscribe(name, onMessage);
  return () => {
    diagnostics_channel.unsubscribe(name, onMessage);
  };
}
