/**
 * The one persistent Unix-socket connection to spdk_tgt.
 *
 * spdk_tgt accepts at most 64 connections and one new one per 4 ms poll, so every call of the
 * service shares this connection: requests are written back to back and answers, which come out
 * of order for slow calls, are matched to their caller by id. Ids are never reused for the life
 * of the process, so an answer that arrives after its caller gave up can only be dropped, never
 * handed to someone else.
 */
import net from 'node:net';
import { EventEmitter } from 'node:events';
import pRetry from 'p-retry';
import type { Logger } from 'pino';
import { SpdkTransportError, type TransportFailure } from '../errors.js';
import { FramingError, JsonSplitter, type SplitHandlers } from './framing.js';
import { OrderedValues } from './ordered-values.js';
import { parseSliced } from './sliced-parse.js';

export interface JsonRpcResponse {
  jsonrpc?: string;
  id: number | string | null;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export interface ConnectionOptions {
  socketPath: string;
  logger: Logger;
  /** Backoff of the background reconnect loop. */
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
}

/** Whoever waits for an answer: told of the answer, or of the connection ending first. */
export interface PendingReply {
  readonly method: string;
  onResponse(response: JsonRpcResponse): void;
  onFailure(error: SpdkTransportError): void;
}

type State = 'idle' | 'connecting' | 'open' | 'closed';

/**
 * How long the stream may pause on a value that waits for its newline and may be whole, before
 * its bytes are split by structure (JsonSplitter.settle): spdk_tgt ends every answer with one, and
 * a large answer's writes pause for a poll (4 ms) or more when the socket is full.
 */
const SETTLE_MS = 100;

/**
 * Events: `open` after every successful (re)connect, `lost` (failure) when an open connection
 * ends. Listeners must not throw.
 */
export class SpdkConnection extends EventEmitter {
  private readonly socketPath: string;
  private readonly log: Logger;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private readonly pending = new Map<number, PendingReply>();
  private readonly splitter = new JsonSplitter();
  private readonly answers = new OrderedValues(
    (value) => this.dispatch(value),
    (err) => this.log.error({ err: err.message }, 'malformed JSON from spdk_tgt; dropped'),
  );
  private socket: net.Socket | undefined;
  private state: State = 'idle';
  private connecting: Promise<void> | undefined;
  private reconnectLoop: AbortController | undefined;
  private lastFailure: TransportFailure | undefined;
  /** The socket whose writes of this turn are being gathered into one. */
  private corked: net.Socket | undefined;
  private settleTimer: NodeJS.Timeout | undefined;

  constructor(options: ConnectionOptions) {
    super();
    this.socketPath = options.socketPath;
    this.log = options.logger;
    this.reconnectMinMs = options.reconnectMinMs ?? 50;
    // A failed connect to a Unix socket costs microseconds, and every ms between spdk_tgt listening
    // again and the first try is added to the node's way back to ready: the backoff stays short.
    this.reconnectMaxMs = options.reconnectMaxMs ?? 200;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Why the last connect failed or the connection was lost; undefined while healthy. */
  get failure(): TransportFailure | undefined {
    return this.lastFailure;
  }

  /**
   * Resolves once the connection is open. A caller never waits out a backoff: if no attempt is
   * under way one starts now, and its failure is this caller's failure (fail fast, with why).
   */
  async ready(): Promise<void> {
    if (this.state === 'open') return;
    if (this.state === 'closed') throw new SpdkTransportError('client-closed', 'the SPDK client was closed');
    this.connecting ??= this.connectOnce().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  /**
   * Writes one request. `onResponse` gets its answer; `onFailure` gets a transport error if the
   * connection ends first. The caller owns deadlines and must call `forget` when it gives up.
   */
  send(id: number, text: string, pending: PendingReply): void {
    const socket = this.socket;
    if (this.state !== 'open' || !socket) {
      throw new SpdkTransportError(this.lastFailure ?? 'closed', `not connected to spdk_tgt at ${this.socketPath}`, pending.method);
    }
    this.pending.set(id, pending);
    // Requests made in one pass of the event loop (the next calls of every lane that the answers
    // read in this pass resumed) go out in one write: a syscall each cost more of the service's
    // CPU than the rest of a call. They leave in the same pass, before its timers or the next poll.
    if (!this.corked) {
      this.corked = socket;
      socket.cork();
      setImmediate(() => this.uncork(socket));
    }
    socket.write(text);
  }

  private uncork(socket: net.Socket): void {
    if (this.corked === socket) this.corked = undefined;
    socket.uncork();
  }

  /** Drops interest in an id: its answer, if it ever comes, is discarded. */
  forget(id: number): void {
    this.pending.delete(id);
  }

  /** Closes for good: pending calls fail with `client-closed`, no reconnect. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.stopSettle();
    this.reconnectLoop?.abort();
    this.failAll('client-closed', 'the SPDK client was closed');
    const socket = this.socket;
    this.socket = undefined;
    if (socket && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.destroy();
      });
    }
  }

  private connectOnce(): Promise<void> {
    this.state = 'connecting';
    return new Promise<void>((resolve, reject) => {
      const socket = net.createConnection({ path: this.socketPath });
      const onError = (err: NodeJS.ErrnoException): void => {
        socket.destroy();
        const failure = connectFailure(err);
        this.lastFailure = failure;
        if (this.state === 'connecting') this.state = 'idle';
        reject(new SpdkTransportError(failure, `cannot connect to spdk_tgt at ${this.socketPath}: ${err.code ?? err.message}`, undefined, { cause: err }));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        if (this.state === 'closed') {
          socket.destroy();
          reject(new SpdkTransportError('client-closed', 'the SPDK client was closed'));
          return;
        }
        this.adopt(socket);
        resolve();
      });
    });
  }

  private adopt(socket: net.Socket): void {
    this.socket = socket;
    this.state = 'open';
    this.lastFailure = undefined;
    this.splitter.reset();
    this.answers.reset();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.onData(socket, chunk));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      this.log.warn({ err: err.message, code: err.code }, 'spdk_tgt connection error');
    });
    socket.on('close', () => this.onClose(socket));
    this.log.info({ socket: this.socketPath }, 'connected to spdk_tgt');
    this.emit('open');
  }

  private onData(socket: net.Socket, chunk: Buffer): void {
    this.stopSettle();
    this.framed(socket, () => this.splitter.push(chunk, this.handlers));
    if (this.splitter.mayBeWhole) {
      this.settleTimer = setTimeout(() => {
        this.settleTimer = undefined;
        if (this.socket === socket) this.framed(socket, () => this.splitter.settle(this.handlers));
      }, SETTLE_MS).unref();
    }
  }

  private framed(socket: net.Socket, split: () => void): void {
    try {
      split();
    } catch (err) {
      if (!(err instanceof FramingError)) throw err;
      // The stream can no longer be trusted to line up with requests: drop the connection.
      this.log.error({ err: err.message }, 'unparseable data from spdk_tgt; dropping the connection');
      socket.destroy();
    }
  }

  private stopSettle(): void {
    clearTimeout(this.settleTimer);
    this.settleTimer = undefined;
  }

  private readonly handlers: SplitHandlers = {
    onValue: (value) => this.answers.value(value),
    onMalformed: (text) => this.log.error({ bytes: text.length }, 'malformed JSON from spdk_tgt; dropped'),
    onLarge: (text) => this.answers.parsing(parseSliced(text)),
  };

  private dispatch(value: unknown): void {
    if (Array.isArray(value)) for (const item of value) this.deliver(item as JsonRpcResponse);
    else this.deliver(value as JsonRpcResponse);
  }

  private deliver(response: JsonRpcResponse): void {
    const id = typeof response?.id === 'number' ? response.id : undefined;
    const pending = id === undefined ? undefined : this.pending.get(id);
    if (id === undefined || !pending) {
      // A late answer to a call that timed out or was aborted, or an error spdk_tgt could not tie
      // to a request (id null): nobody may receive it.
      this.log.debug({ id: response?.id, error: response?.error }, 'answer with no waiting caller dropped');
      return;
    }
    this.pending.delete(id);
    pending.onResponse(response);
  }

  private onClose(socket: net.Socket): void {
    if (this.socket !== socket) return;
    this.socket = undefined;
    this.stopSettle();
    const midValue = this.splitter.midValue;
    this.splitter.reset();
    this.answers.reset();
    if (this.state === 'closed') return;
    this.state = 'idle';
    this.lastFailure = 'closed';
    const lost = this.pending.size;
    this.failAll('closed', `spdk_tgt closed the connection${midValue ? ' in the middle of an answer' : ''} before answering`);
    this.log.warn({ pendingFailed: lost }, 'lost the connection to spdk_tgt; reconnecting');
    this.emit('lost', 'closed');
    this.startReconnectLoop();
  }

  private failAll(failure: TransportFailure, message: string): void {
    const calls = [...this.pending.values()];
    this.pending.clear();
    for (const call of calls) call.onFailure(new SpdkTransportError(failure, `${call.method}: ${message}`, call.method));
  }

  /** Reconnects in the background with exponential backoff until open or closed. */
  private startReconnectLoop(): void {
    if (this.reconnectLoop) return;
    const loop = new AbortController();
    this.reconnectLoop = loop;
    pRetry(() => this.ready(), {
      retries: Number.POSITIVE_INFINITY,
      minTimeout: this.reconnectMinMs,
      maxTimeout: this.reconnectMaxMs,
      factor: 2,
      randomize: true,
      signal: loop.signal,
      onFailedAttempt: ({ error, attemptNumber }) => {
        if (attemptNumber === 1 || attemptNumber % 20 === 0) {
          this.log.warn({ attempt: attemptNumber, err: error.message }, 'spdk_tgt still unreachable');
        }
      },
    })
      .catch(() => undefined)
      .finally(() => {
        if (this.reconnectLoop === loop) this.reconnectLoop = undefined;
      });
  }
}

function connectFailure(err: NodeJS.ErrnoException): TransportFailure {
  switch (err.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no-socket';
    case 'ECONNREFUSED':
    case 'EAGAIN':
      return 'refused';
    default:
      return 'closed';
  }
}
