/**
 * The spdk_tgt JSON-RPC client: one connection, many calls in flight, each call checked against
 * its contract in rpc-schemas/spdk before it is sent.
 *
 * Ordering: calls on independent objects are pipelined (1000 pipelined calls take spdk_tgt ~42 ms,
 * sequential ones 4-8 ms each), but calls that name the same object (the contract's objectKey)
 * wait for each other's answer, because spdk_tgt v26.05 fails or crashes when two calls on one
 * object land in the same poll.
 */
import jayson from 'jayson';
import PQueue from 'p-queue';
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { SpdkParamsError, SpdkResultError, SpdkRpcError, SpdkTransportError } from '../errors.js';
import type { CallOptions, SpdkCaller } from './call.js';
import { MAX_REQUEST_BYTES, MAX_REQUEST_VALUES, SpdkConnection, type JsonRpcResponse } from './connection.js';
import { loadContracts, type MethodContract, type Verdict } from './contracts.js';
import { Capabilities } from './capabilities.js';
import { KeyedSerializer } from './keyed-serializer.js';

export interface SpdkClientOptions {
  socketPath: string;
  logger: Logger;
  /** Default deadline of an ordinary call. */
  deadlineMs?: number;
  /** Default deadline of calls the contract marks slow (lvstore load, examine, attach...). */
  slowDeadlineMs?: number;
  /** Calls written to the socket and not yet answered, at most. */
  maxInFlight?: number;
  /** Calls waiting for an in-flight slot, at most; beyond it calls fail `overloaded` at once. */
  maxQueued?: number;
  /** Check results against the contracts' result schemas (cheap; catches a changed spdk_tgt). */
  validateResults?: boolean;
  /** Contracts to use instead of rpc-schemas/spdk (tests). */
  contracts?: ReadonlyMap<string, MethodContract>;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** Told of every finished call, for metrics and health. Must not throw. */
  onCallDone?: (event: CallDoneEvent) => void;
}

export interface CallDoneEvent {
  method: string;
  ms: number;
  outcome: 'ok' | 'rpc-error' | 'transport-error';
}

export interface ClientStats {
  connected: boolean;
  inFlight: number;
  queued: number;
  lastFailure: string | undefined;
}

/** The request being handed to jayson, picked up by the transport shim synchronously. */
interface Outgoing {
  id: number;
  method: string;
  onResponse: (response: JsonRpcResponse) => void;
  onFailure: (error: SpdkTransportError) => void;
}

export class SpdkClient implements SpdkCaller {
  readonly capabilities: Capabilities;
  private readonly connection: SpdkConnection;
  private readonly contracts: ReadonlyMap<string, MethodContract>;
  private readonly rpc: jayson.Client;
  private readonly queue: PQueue;
  private readonly serializer = new KeyedSerializer();
  private readonly log: Logger;
  private readonly deadlineMs: number;
  private readonly slowDeadlineMs: number;
  private readonly maxQueued: number;
  private readonly validateResults: boolean;
  private readonly onCallDone: ((event: CallDoneEvent) => void) | undefined;
  private nextId = 1;
  private outgoing: Outgoing | undefined;
  /** Every call not yet settled, so close() can end them all, queued ones included. */
  private readonly unsettled = new Set<(error: Error) => void>();
  private closed = false;

  constructor(options: SpdkClientOptions) {
    this.log = options.logger;
    this.deadlineMs = options.deadlineMs ?? 60_000;
    this.slowDeadlineMs = options.slowDeadlineMs ?? 300_000;
    this.maxQueued = options.maxQueued ?? 10_000;
    this.validateResults = options.validateResults ?? true;
    this.onCallDone = options.onCallDone;
    this.contracts = options.contracts ?? loadContracts();
    this.queue = new PQueue({ concurrency: options.maxInFlight ?? 1024 });
    this.connection = new SpdkConnection({
      socketPath: options.socketPath,
      logger: options.logger,
      reconnectMinMs: options.reconnectMinMs,
      reconnectMaxMs: options.reconnectMaxMs,
    });
    // jayson builds and checks the JSON-RPC 2.0 envelopes; the "server" it talks to is this shim,
    // which puts the serialized request on the shared connection.
    this.rpc = new jayson.Client({ call: (message: string | object) => this.transmit(message) } as unknown as jayson.Server, {
      version: 2,
    });
    this.capabilities = new Capabilities(this, this.connection, options.logger);
  }

  /** Opens the connection now (calls also open it on demand) and loads the capabilities. */
  async connect(): Promise<void> {
    await this.connection.ready();
    await this.capabilities.get();
  }

  stats(): ClientStats {
    return {
      connected: this.connection.isOpen,
      inFlight: this.connection.inFlight,
      queued: this.queue.size,
      lastFailure: this.connection.failure,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.queue.clear();
    for (const fail of [...this.unsettled]) fail(new SpdkTransportError('client-closed', 'the SPDK client was closed'));
    await this.connection.close();
  }

  call<T = unknown>(method: string, params?: object, options: CallOptions = {}): Promise<T> {
    const contract = this.contracts.get(method);
    if (!contract) {
      return Promise.reject(new SpdkParamsError(method, [`no contract in rpc-schemas/spdk for ${method}`]));
    }
    const problems = contract.validateParams(params ?? {});
    if (problems) return Promise.reject(new SpdkParamsError(method, problems));
    const send = contract.takesParams ? params : undefined;
    const deadlineMs = options.deadlineMs ?? (contract.deadline === 'slow' ? this.slowDeadlineMs : this.deadlineMs);
    const key = objectKey(contract, params);
    const deadlineAt = Date.now() + deadlineMs;
    const attempt = (): Promise<unknown> => this.dispatch(method, send, deadlineAt, options.signal, key).then((result) => {
      if (this.validateResults) {
        const bad = contract.validateResult(result);
        if (bad) throw new SpdkResultError(method, bad);
      }
      return result;
    });
    if (!contract.idempotent) return attempt() as Promise<T>;
    // Only calls that cannot change anything are sent again, and only when the connection died
    // under them: the answer was lost, not refused.
    return pRetry(attempt, {
      retries: 2,
      minTimeout: 10,
      maxTimeout: 200,
      shouldRetry: ({ error }) => error instanceof SpdkTransportError && error.failure === 'closed' && Date.now() < deadlineAt,
    }) as Promise<T>;
  }

  /**
   * What an error from spdk_tgt says about the object the call named, per the method's contract:
   * 'exists' / 'gone' are certain; 'maybe-…' must be confirmed with a read (the same code and
   * message also mean other things for that method). Undefined for any other error.
   */
  verdictOf(error: unknown): Verdict | undefined {
    if (!(error instanceof SpdkRpcError)) return undefined;
    return this.contracts.get(error.method)?.verdict(error.rpcCode, error.rpcMessage);
  }

  /**
   * A call outside the contracts, unchecked: for the simulator's sim_ methods and diagnostics only.
   * The service's own code uses `call`.
   */
  callUnchecked<T = unknown>(method: string, params?: object, options: CallOptions = {}): Promise<T> {
    return this.dispatch(method, params, Date.now() + (options.deadlineMs ?? this.deadlineMs), options.signal, undefined) as Promise<T>;
  }

  private dispatch(method: string, params: object | undefined, deadlineAt: number, signal: AbortSignal | undefined, key: string | undefined): Promise<unknown> {
    if (this.closed) return Promise.reject(new SpdkTransportError('client-closed', `${method}: the SPDK client was closed`, method));
    if (signal?.aborted) return Promise.reject(new SpdkTransportError('aborted', `${method} aborted before it was sent`, method));
    if (this.queue.size >= this.maxQueued) {
      return Promise.reject(new SpdkTransportError('overloaded', `${method} refused: ${this.queue.size} calls already wait for spdk_tgt`, method));
    }
    return new Promise<unknown>((resolve, reject) => {
      const started = performance.now();
      let settled = false;
      let id: number | undefined;
      let releaseKey: (() => void) | undefined;
      let releaseSlot: (() => void) | undefined;

      const finish = (error: Error | undefined, value?: unknown): void => {
        if (settled) return;
        settled = true;
        this.unsettled.delete(fail);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (id !== undefined) this.connection.forget(id);
        releaseSlot?.();
        releaseKey?.();
        this.onCallDone?.({
          method,
          ms: performance.now() - started,
          outcome: !error ? 'ok' : error instanceof SpdkRpcError ? 'rpc-error' : 'transport-error',
        });
        if (error) reject(error);
        else resolve(value);
      };
      const fail = (error: Error): void => finish(error);
      this.unsettled.add(fail);
      const onAbort = (): void => finish(new SpdkTransportError('aborted', `${method} aborted by the caller`, method));
      const budgetMs = Math.max(0, deadlineAt - Date.now());
      const timer = setTimeout(
        () => finish(new SpdkTransportError('timeout', `${method} got no answer from spdk_tgt within ${budgetMs} ms`, method)),
        budgetMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });

      const run = async (): Promise<void> => {
        if (key !== undefined) {
          releaseKey = await this.serializer.acquire(key);
          if (settled) return releaseKey();
        }
        await this.queue.add(
          () =>
            new Promise<void>((slotFree) => {
              releaseSlot = slotFree;
              if (settled) return slotFree();
              this.connection
                .ready()
                .then(() => {
                  if (settled) return;
                  id = this.nextId++;
                  this.write(id, method, params, (response) => {
                    if (response.error) finish(new SpdkRpcError(method, params, response.error.code, response.error.message, response.error.data));
                    else finish(undefined, response.result);
                  }, (error) => finish(error));
                })
                .catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
            }),
        );
      };
      run().catch((error: unknown) => finish(error instanceof Error ? error : new Error(String(error))));
    });
  }

  private write(id: number, method: string, params: object | undefined, onResponse: (r: JsonRpcResponse) => void, onFailure: (e: SpdkTransportError) => void): void {
    this.outgoing = { id, method, onResponse, onFailure };
    try {
      this.rpc.request(method, params, id, (err: unknown) => {
        // Only reached for errors jayson raises itself (serialization); answers go to onResponse.
        if (err) onFailure(new SpdkTransportError('closed', `${method}: ${String((err as Error).message ?? err)}`, method, { cause: err }));
      });
    } finally {
      this.outgoing = undefined;
    }
  }

  /** jayson's server hook: runs synchronously inside `rpc.request`. */
  private transmit(message: string | object): void {
    const outgoing = this.outgoing;
    if (!outgoing) throw new Error('transmit called outside write');
    const text = typeof message === 'string' ? message : JSON.stringify(message);
    const tooBig = requestTooBig(text);
    if (tooBig) {
      outgoing.onFailure(new SpdkTransportError('too-large', `${outgoing.method}: ${tooBig}; spdk_tgt would drop the connection`, outgoing.method));
      return;
    }
    try {
      this.connection.send(outgoing.id, outgoing.method, text, { onResponse: outgoing.onResponse, onFailure: outgoing.onFailure });
    } catch (error) {
      outgoing.onFailure(error instanceof SpdkTransportError ? error : new SpdkTransportError('closed', String(error), outgoing.method));
    }
  }
}

function objectKey(contract: MethodContract, params: object | undefined): string | undefined {
  if (contract.objectKey.length === 0 || !params) return undefined;
  const record = params as Record<string, unknown>;
  const parts: string[] = [];
  for (const name of contract.objectKey) {
    const value = record[name];
    if (value !== undefined && value !== null) parts.push(String(value));
  }
  return parts.length > 0 ? parts.join('/') : undefined;
}

function requestTooBig(text: string): string | undefined {
  if (text.length > MAX_REQUEST_BYTES || Buffer.byteLength(text) > MAX_REQUEST_BYTES) {
    return `request is ${Buffer.byteLength(text)} bytes, over spdk_tgt's ${MAX_REQUEST_BYTES}`;
  }
  // Fewer than 2 bytes per value is impossible, so only long requests need counting.
  if (text.length > 2 * MAX_REQUEST_VALUES) {
    const values = countJsonValues(JSON.parse(text));
    if (values > MAX_REQUEST_VALUES) return `request holds ${values} JSON values, over spdk_tgt's ${MAX_REQUEST_VALUES}`;
  }
  return undefined;
}

function countJsonValues(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((n: number, v) => n + countJsonValues(v), 1);
  if (value !== null && typeof value === 'object') {
    // spdk_json_parse counts an object member's name as a value too.
    return Object.values(value).reduce((n: number, v) => n + 1 + countJsonValues(v), 1);
  }
  return 1;
}
