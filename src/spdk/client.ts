/**
 * The spdk_tgt JSON-RPC client: one connection, many calls in flight, each call checked against
 * its contract in rpc-schemas/spdk before it is sent.
 *
 * Ordering: calls on independent objects are pipelined (1000 pipelined calls take spdk_tgt ~42 ms,
 * sequential ones 4-8 ms each), but calls that name the same object (the contract's objectKey)
 * wait for each other's answer, because spdk_tgt v26.05 fails or crashes when two calls on one
 * object land in the same poll.
 */
import type { Logger } from 'pino';
import { SpdkParamsError, SpdkRpcError, SpdkTransportError } from '../errors.js';
import type { CallOptions, SpdkCaller } from './call.js';
import { SpdkConnection } from './connection.js';
import { loadContracts, type MethodContract, type Verdict } from './contracts.js';
import { Capabilities } from './capabilities.js';
import { KeyedSerializer } from './keyed-serializer.js';
import { PendingCall, type CallHost, type ResultCheck } from './pending-call.js';
import { Slots } from './slots.js';

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
}

export interface ClientStats {
  connected: boolean;
  inFlight: number;
  queued: number;
  lastFailure: string | undefined;
}

const NO_OPTIONS: CallOptions = Object.freeze({});
const NO_PARAMS = Object.freeze({});

export class SpdkClient implements SpdkCaller {
  readonly capabilities: Capabilities;
  private readonly connection: SpdkConnection;
  private readonly contracts: ReadonlyMap<string, MethodContract>;
  private readonly slots: Slots;
  private readonly serializer = new KeyedSerializer();
  private readonly deadlineMs: number;
  private readonly slowDeadlineMs: number;
  private readonly validateResults: boolean;
  private readonly unsettled = new Set<PendingCall>();
  private readonly host: CallHost;
  private closed = false;

  constructor(options: SpdkClientOptions) {
    this.deadlineMs = options.deadlineMs ?? 60_000;
    this.slowDeadlineMs = options.slowDeadlineMs ?? 300_000;
    this.validateResults = options.validateResults ?? true;
    this.contracts = options.contracts ?? loadContracts(undefined, { logger: options.logger });
    this.slots = new Slots(options.maxInFlight ?? 1024, options.maxQueued ?? 10_000);
    this.connection = new SpdkConnection({
      socketPath: options.socketPath,
      logger: options.logger,
      reconnectMinMs: options.reconnectMinMs,
      reconnectMaxMs: options.reconnectMaxMs,
    });
    this.capabilities = new Capabilities(this, this.connection, options.logger);
    let nextId = 1;
    // Ids are never reused while the process lives, so a late answer can only be dropped.
    this.host = {
      connection: this.connection,
      slots: this.slots,
      serializer: this.serializer,
      unsettled: this.unsettled,
      nextId: () => nextId++,
    };
  }

  /** Opens the connection now (calls also open it on demand) and loads the capabilities. */
  async connect(): Promise<void> {
    await this.connection.ready();
    await this.capabilities.get();
  }

  /**
   * Follows the connection: `lost` when an open connection ends, `open` after every (re)connect.
   * A reconnect may reach another spdk_tgt (restarted, upgraded) that holds nothing. Returns the
   * unsubscribe.
   */
  onConnection(listener: (event: 'open' | 'lost') => void): () => void {
    const open = (): void => listener('open');
    const lost = (): void => listener('lost');
    this.connection.on('open', open);
    this.connection.on('lost', lost);
    return () => {
      this.connection.off('open', open);
      this.connection.off('lost', lost);
    };
  }

  stats(): ClientStats {
    return {
      connected: this.connection.isOpen,
      inFlight: this.connection.inFlight,
      queued: this.slots.queued,
      lastFailure: this.connection.failure,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.slots.clear();
    for (const call of [...this.unsettled]) call.fail(new SpdkTransportError('client-closed', `${call.method}: the SPDK client was closed`, call.method));
    await this.connection.close();
  }

  call<T = unknown>(method: string, params?: object, options: CallOptions = NO_OPTIONS): Promise<T> {
    const contract = this.contracts.get(method);
    if (!contract) {
      return Promise.reject(new SpdkParamsError(method, [`no contract in rpc-schemas/spdk for ${method}`]));
    }
    const problems = contract.validateParams(params ?? NO_PARAMS);
    if (problems) return Promise.reject(new SpdkParamsError(method, problems));
    const send = contract.takesParams ? params : undefined;
    const deadlineMs = options.deadlineMs ?? (contract.deadline === 'slow' ? this.slowDeadlineMs : this.deadlineMs);
    const key = objectKey(contract, params);
    const deadlineAt = Date.now() + deadlineMs;
    const check = this.validateResults ? contract.validateResult : undefined;
    return this.dispatch(method, send, deadlineAt, options.signal, key, check, contract.idempotent) as Promise<T>;
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
   * The service's own code uses `call`. A method with a contract still waits its turn on the
   * object it names, so an operator's raw call cannot land in the same poll as the service's.
   */
  callUnchecked<T = unknown>(method: string, params?: object, options: CallOptions = {}): Promise<T> {
    const contract = this.contracts.get(method);
    const key = contract ? objectKey(contract, params) : undefined;
    return this.dispatch(method, params, Date.now() + (options.deadlineMs ?? this.deadlineMs), options.signal, key, undefined, false) as Promise<T>;
  }

  private dispatch(
    method: string,
    params: object | undefined,
    deadlineAt: number,
    signal: AbortSignal | undefined,
    key: string | undefined,
    check: ResultCheck | undefined,
    idempotent: boolean,
  ): Promise<unknown> {
    if (this.closed) return Promise.reject(new SpdkTransportError('client-closed', `${method}: the SPDK client was closed`, method));
    if (signal?.aborted) return Promise.reject(new SpdkTransportError('aborted', `${method} aborted before it was sent`, method));
    return new PendingCall(this.host, method, params, deadlineAt, signal, check, idempotent).start(key);
  }
}

function objectKey(contract: MethodContract, params: object | undefined): string | undefined {
  if (contract.objectKey.length === 0 || !params) return undefined;
  const record = params as Record<string, unknown>;
  // Most contracts name their object by one parameter: no parts to gather and join.
  if (contract.objectKey.length === 1) {
    const value = record[contract.objectKey[0]!];
    return value === undefined || value === null ? undefined : String(value);
  }
  const parts: string[] = [];
  for (const name of contract.objectKey) {
    const value = record[name];
    if (value !== undefined && value !== null) parts.push(String(value));
  }
  return parts.length > 0 ? parts.join('/') : undefined;
}
