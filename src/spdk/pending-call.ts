/**
 * One call's life: its object's turn (when it names one), an in-flight slot, the connection, the
 * answer. Every stage checks whether the call already ended (deadline, abort, close), and every
 * ending releases whatever the call holds, exactly once.
 *
 * It is one object with methods rather than a nest of closures: on the pipelined hot path the
 * allocations per call were the client's largest cost (measured with scripts/bench-client).
 */
import jayson from 'jayson';
import pRetry from 'p-retry';
import { spdkCallChannel, type SpdkCallContext, type SpdkCallOutcome } from '../diagnostics.js';
import { SpdkResultError, SpdkRpcError, SpdkTransportError } from '../errors.js';
import type { JsonRpcResponse, PendingReply, SpdkConnection } from './connection.js';
import type { KeyedSerializer, KeyWaiter } from './keyed-serializer.js';
import { requestTooBig } from './request-limits.js';
import type { SlotWaiter, Slots } from './slots.js';

/** What a call borrows from the client that runs it. */
export interface CallHost {
  readonly connection: SpdkConnection;
  readonly slots: Slots;
  readonly serializer: KeyedSerializer;
  /** Calls not yet settled, so closing the client can end them all. */
  readonly unsettled: Set<PendingCall>;
  nextId(): number;
}

export type ResultCheck = (result: unknown) => string[] | undefined;

export class PendingCall implements PendingReply, KeyWaiter {
  private settled = false;
  private id: number | undefined;
  private holdsKey = false;
  private holdsSlot = false;
  private waiter: SlotWaiter | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Only while someone subscribes to the spdk call channel. */
  private trace: SpdkCallContext | undefined;
  private key: string | undefined;
  private resolve!: (value: unknown) => void;
  private reject!: (error: Error) => void;

  constructor(
    private readonly host: CallHost,
    readonly method: string,
    private readonly params: object | undefined,
    private readonly deadlineAt: number,
    private readonly signal: AbortSignal | undefined,
    private readonly checkResult: ResultCheck | undefined,
    /** Safe to send again when the connection died before the answer (the contract says so). */
    private readonly idempotent: boolean,
  ) {}

  start(key: string | undefined): Promise<unknown> {
    this.key = key;
    // Nothing is allocated and no clock is read unless someone listens.
    if (spdkCallChannel.hasSubscribers) this.trace = traceStart(this.method, key);
    return new Promise<unknown>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      const budgetMs = Math.max(0, this.deadlineAt - Date.now());
      this.timer = setTimeout(expire, budgetMs, this, budgetMs);
      this.host.unsettled.add(this);
      if (this.signal) watchAbort(this.signal, this);
      if (key === undefined) this.takeTurn();
      else if (this.host.serializer.tryEnter(key)) {
        this.holdsKey = true;
        this.takeTurn();
      } else this.host.serializer.wait(key, this);
    });
  }

  /** Called by the serializer when this call's object is its to use. */
  onTurn(): void {
    this.holdsKey = true;
    // Its turn came after the call ended (deadline, abort while waiting): hand the key on.
    if (this.settled) this.leaveKey();
    else this.takeTurn();
  }

  private leaveKey(): void {
    if (!this.holdsKey) return;
    this.holdsKey = false;
    this.host.serializer.leave(this.key!);
  }

  /** Ends the call with `error` (deadline, abort, lost connection, client closed). */
  fail(error: Error): void {
    this.finish(error, undefined);
  }

  onResponse(response: JsonRpcResponse): void {
    this.id = undefined;
    const { error } = response;
    if (error !== undefined) {
      this.fail(
        jayson.utils.Response.isValidError(error, 2)
          ? new SpdkRpcError(this.method, this.params, error.code, error.message, error.data)
          : new SpdkResultError(this.method, [`malformed error object ${JSON.stringify(error)}`]),
      );
      return;
    }
    if (!jayson.utils.Response.isValidResponse(response, 2)) {
      this.fail(new SpdkResultError(this.method, ['malformed JSON-RPC response']));
      return;
    }
    const problems = this.checkResult?.(response.result);
    if (problems) this.fail(new SpdkResultError(this.method, problems));
    else this.finish(undefined, response.result);
  }

  onFailure(error: SpdkTransportError): void {
    this.id = undefined;
    this.fail(error);
  }

  /** Called by Slots when a slot frees up for this call. */
  granted(): void {
    this.waiter = undefined;
    // Granted after the call ended (deadline while waiting): hand the slot straight back.
    if (this.settled) {
      this.host.slots.release();
      return;
    }
    this.holdsSlot = true;
    const connection = this.host.connection;
    if (connection.isOpen) this.send();
    else
      connection.ready().then(
        () => this.send(),
        (error: unknown) => this.failWith(error),
      );
  }

  private failWith(error: unknown): void {
    this.fail(error instanceof Error ? error : new Error(String(error)));
  }

  private takeTurn(): void {
    if (this.settled) return;
    const slots = this.host.slots;
    if (slots.tryAcquire()) {
      this.granted();
      return;
    }
    this.waiter = slots.wait(this);
    if (!this.waiter) this.fail(new SpdkTransportError('overloaded', `${this.method} refused: ${slots.queued} calls already wait for spdk_tgt`, this.method));
  }

  private send(): void {
    if (this.settled) return;
    const id = this.host.nextId();
    // What jayson.utils.request makes for a JSON-RPC 2.0 call, in its member order, as a literal.
    const text = JSON.stringify(this.params ? { method: this.method, jsonrpc: '2.0', params: this.params, id } : { method: this.method, jsonrpc: '2.0', id });
    const tooBig = requestTooBig(text);
    if (tooBig) {
      this.fail(new SpdkTransportError('too-large', `${this.method}: ${tooBig}; spdk_tgt would drop the connection`, this.method));
      return;
    }
    try {
      this.host.connection.send(id, text, this);
      this.id = id;
      if (this.trace) this.trace.id = id;
    } catch (error) {
      this.failWith(error);
    }
  }

  private finish(error: Error | undefined, value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    const host = this.host;
    host.unsettled.delete(this);
    clearTimeout(this.timer);
    if (this.signal) (this.signal as WatchedSignal)[CALLS]?.delete(this);
    if (this.id !== undefined) host.connection.forget(this.id);
    this.waiter?.cancel();
    if (this.holdsSlot) host.slots.release();
    this.leaveKey();
    if (this.trace) traceSettled(this.trace, error, value);
    if (!error) this.resolve(value);
    else if (this.idempotent && isLostAnswer(error) && Date.now() < this.deadlineAt) this.resolve(this.sendAgain());
    else this.reject(error);
  }

  /**
   * Only calls that cannot change anything are sent again, and only when the connection died
   * under them: the answer was lost, not refused. p-retry takes over only on that failure, so the
   * common path allocates nothing for the rare one.
   */
  private sendAgain(): Promise<unknown> {
    const again = (): Promise<unknown> => new PendingCall(this.host, this.method, this.params, this.deadlineAt, this.signal, this.checkResult, false).start(this.key);
    return pRetry(again, {
      retries: 2,
      minTimeout: 10,
      maxTimeout: 200,
      shouldRetry: ({ error }) => isLostAnswer(error) && Date.now() < this.deadlineAt,
    });
  }
}

/**
 * The calls a caller's signal may still abort, kept on the signal itself with one listener for all
 * of them: a gRPC request's signal is passed to each of its ~5 spdk_tgt calls, and an EventTarget
 * listener added and removed per call cost more CPU than the rest of the call's bookkeeping. A
 * settled call leaves the set; the set and listener go with the signal.
 */
const CALLS = Symbol('spdk-conductor pending calls');

type WatchedSignal = AbortSignal & { [CALLS]?: Set<PendingCall> };

function watchAbort(signal: WatchedSignal, call: PendingCall): void {
  let calls = signal[CALLS];
  if (calls === undefined) {
    calls = new Set();
    signal[CALLS] = calls;
    const watched = calls;
    signal.addEventListener(
      'abort',
      () => {
        for (const pending of [...watched]) pending.fail(new SpdkTransportError('aborted', `${pending.method} aborted by the caller`, pending.method));
      },
      { once: true },
    );
  }
  calls.add(call);
}

function isLostAnswer(error: unknown): boolean {
  return error instanceof SpdkTransportError && error.failure === 'closed';
}

/**
 * A call's work is all asynchronous, so `start` and `end` come together; what a subscriber wants
 * (outcome, duration) comes with `asyncEnd`. Published before any work, so the events are in
 * order even when a call fails synchronously (overloaded, too large).
 */
function traceStart(method: string, objectKey: string | undefined): SpdkCallContext {
  const trace: SpdkCallContext = { method, objectKey, startedAt: performance.now(), id: undefined, durationMs: 0, outcome: undefined, rpcCode: undefined };
  spdkCallChannel.start.publish(trace);
  spdkCallChannel.end.publish(trace);
  return trace;
}

function traceSettled(trace: SpdkCallContext, error: Error | undefined, value: unknown): void {
  trace.durationMs = performance.now() - trace.startedAt;
  if (error) {
    trace.outcome = outcomeOf(error);
    if (error instanceof SpdkRpcError) trace.rpcCode = error.rpcCode;
    trace.error = error;
    spdkCallChannel.error.publish(trace);
  } else {
    trace.outcome = 'ok';
    trace.result = value;
  }
  spdkCallChannel.asyncStart.publish(trace);
  spdkCallChannel.asyncEnd.publish(trace);
}

function outcomeOf(error: Error): SpdkCallOutcome {
  if (error instanceof SpdkRpcError) return 'rpc-error';
  if (error instanceof SpdkResultError) return 'bad-result';
  if (error instanceof SpdkTransportError) return error.failure;
  return 'internal';
}

function expire(call: PendingCall, budgetMs: number): void {
  call.fail(new SpdkTransportError('timeout', `${call.method} got no answer from spdk_tgt within ${budgetMs} ms`, call.method));
}
