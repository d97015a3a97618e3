/**
 * One client connection: its receive buffer, the requests cut out of it at each poll, and the
 * responses waiting for the next poll. Limits are spdk_tgt v26.05's (lib/jsonrpc/jsonrpc_server_tcp.c,
 * jsonrpc_internal.h) as recorded in transcript 09.
 */
import { Socket } from 'node:net';
import type { RequestTiming } from './contract.js';
import { scanValue, skipWhitespace, type JsonValue } from './json-scan.js';
import { mainThreadCpuMs } from './thread-cpu.js';

/** SPDK_JSONRPC_RECV_BUF_SIZE: what a connection holds of requests not yet complete. */
export const RECV_BUFFER_BYTES = 256 * 1024;
/** SPDK_JSONRPC_MAX_VALUES as observed: a request with more JSON values closes the connection. */
export const MAX_VALUES = 8192;
/** The largest single read (libuv's own read size); a read never asks for more than the room left. */
const READ_BYTES = 64 * 1024;

/**
 * The accepted socket's handle under a socket whose reads land in buffers the connection hands
 * out (net.Socket's `onread`), each no larger than the room left in the receive buffer: like
 * spdk_tgt's recv(fd, recv_buf + recv_len, SPDK_JSONRPC_RECV_BUF_SIZE - recv_len), no read takes a
 * byte past the buffer, whatever pieces the kernel has, so the bytes of a request that does not
 * fit stay in the kernel and closing the socket is a reset for the peer (AF_UNIX: ECONNRESET when
 * unread data is dropped). A default read takes up to 64 KiB and could swallow a request's last
 * bytes, making the close a plain end of stream. net.Server has no `onread` option, so the
 * accepted socket (paused on connect, never read) gives its handle over, as Node's own
 * net.Server does when it wraps an accepted handle.
 */
function boundedReader(accepted: Socket, room: () => number, received: (bytes: Buffer) => boolean): Socket {
  const holder = accepted as unknown as { _handle: object | null };
  const handle = holder._handle;
  if (!handle) throw new Error('accepted socket has no handle');
  holder._handle = null;
  accepted.destroy();
  const scratch = Buffer.allocUnsafe(READ_BYTES);
  // A zero-length buffer would read 0 bytes, which libuv takes for the end of stream: with no
  // room, reading is stopped (the callback returned false) and this 1-byte buffer waits unused.
  const buffer = () => scratch.subarray(0, Math.max(1, Math.min(READ_BYTES, room())));
  const options = { handle, readable: true, writable: true, onread: { buffer, callback: (n: number) => received(Buffer.from(scratch.subarray(0, n))) } };
  return new Socket(options as ConstructorParameters<typeof Socket>[0]);
}

/** A moment in the simulator's process: wall clock, the main thread's CPU so far (thread-cpu.ts), and the poll count. */
export interface Stamp {
  readonly wallMs: number;
  readonly cpuMs: number;
  readonly tick: number;
}

/**
 * The stamps a connection takes. `arrival` is when bytes came in, with the CPU counted from the
 * start of the last poll before them: while a poll runs the event loop reads nothing, so bytes sent
 * meanwhile waited in the socket through it (a poll that spins holds them up, unseen otherwise).
 */
export interface Clock {
  now(): Stamp;
  arrival(): Stamp;
}

/** `pollStartCpuMs`: the main thread's CPU when the last poll began (undefined before the first). */
export function processClock(tick: () => number, pollStartCpuMs: () => number | undefined = () => undefined): Clock {
  return {
    now: () => ({ wallMs: performance.now(), cpuMs: mainThreadCpuMs(), tick: tick() }),
    arrival: () => ({ wallMs: performance.now(), cpuMs: pollStartCpuMs() ?? mainThreadCpuMs(), tick: tick() }),
  };
}

/**
 * The complete values of a poll, in order (`arrivals[i]`: when the bytes that completed
 * `values[i]` arrived), and what follows them (`rest`):
 * - `more`: nothing, or the start of a value still arriving;
 * - `full`: the start of a value that fills the receive buffer, so it can never complete;
 * - `malformed`: malformed JSON or too many values: no answer, the server closes the connection.
 * spdk_tgt handles each request as its parser reaches it, so the values before an end are handled.
 */
export interface Taken {
  readonly values: JsonValue[];
  readonly arrivals: Stamp[];
  readonly rest: 'more' | 'full' | 'malformed';
}

export class Connection {
  readonly socket: Socket;
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** When each received chunk arrived, by the buffer offset just past it. */
  private arrivals: Array<{ end: number; at: Stamp }> = [];
  private outgoing: Array<{ text: string; method: string | null; arrived: Stamp | null }> = [];
  /** The last answer written on this connection, timed (sim_request_time). */
  lastAnswer: RequestTiming | null = null;
  /** Requests handled whose answer is still being worked out: spdk_tgt's outstanding_requests. */
  private outstanding = 0;
  /** The receive buffer holds one incomplete value and nothing else (take() said `full`). */
  private full = false;
  /**
   * spdk_tgt's conn->closed: nothing more is read and answers that finish are dropped; the socket
   * is closed at the first poll with no request outstanding.
   */
  ending = false;
  closed = false;

  /** `accepted`: a socket from a server with pauseOnConnect, not read yet. */
  constructor(
    readonly id: number,
    accepted: Socket,
    private readonly clock: Clock = processClock(() => 0),
  ) {
    this.socket = boundedReader(
      accepted,
      () => RECV_BUFFER_BYTES - this.bufferedBytes,
      (bytes) => this.received(bytes),
    );
  }

  /** Bytes wait here until the next poll; false (reading stops) once the receive buffer is full. */
  private received(chunk: Buffer): boolean {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    this.arrivals.push({ end: this.bufferedBytes, at: this.clock.arrival() });
    return this.bufferedBytes < RECV_BUFFER_BYTES;
  }

  /**
   * Cuts every complete JSON value out of the receive buffer, each with the whitespace after it
   * (spdk_json_parse's end). Whitespace with no value before it stays until a value follows, and
   * counts toward the buffer, as in spdk_tgt.
   */
  take(): Taken {
    if (this.bufferedBytes === 0) return { values: [], arrivals: [], rest: 'more' };
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const values: JsonValue[] = [];
    const arrivals: Stamp[] = [];
    let pos = 0;
    for (;;) {
      const start = skipWhitespace(buf, pos);
      if (start >= buf.length) break;
      const r = scanValue(buf, start);
      if (r.kind === 'incomplete') break;
      if (r.kind === 'invalid' || r.count > MAX_VALUES) return { values, arrivals, rest: 'malformed' };
      values.push(r.value);
      arrivals.push(this.arrivedBy(r.end));
      pos = skipWhitespace(buf, r.end);
    }
    const left = buf.length - pos;
    this.chunks = left === 0 ? [] : [buf.subarray(pos)];
    this.bufferedBytes = left;
    this.arrivals = this.arrivals.filter((a) => a.end > pos).map((a) => ({ end: a.end - pos, at: a.at }));
    if (left >= RECV_BUFFER_BYTES) {
      this.full = true;
      return { values, arrivals, rest: 'full' };
    }
    // Room again: a read stopped by a full buffer starts over (no-op while reading).
    if (pos > 0) this.socket.resume();
    return { values, arrivals, rest: 'more' };
  }

  /**
   * The poll after the buffer filled: spdk_tgt's recv() into no room returns 0, which it takes for
   * the peer closing (conn->closed). True when that happened now.
   */
  endIfFull(): boolean {
    if (!this.full || this.ending) return false;
    this.ending = true;
    this.outgoing = [];
    return true;
  }

  /** Closed for reading with no request outstanding: spdk_tgt closes the socket at this poll. */
  get closable(): boolean {
    return this.ending && !this.closed && this.outstanding === 0;
  }

  /** An answer still being worked out keeps an ending connection open until it settles. */
  later<T>(answer: Promise<T>): Promise<T> {
    this.outstanding++;
    return answer.finally(() => this.outstanding--);
  }

  /** When the byte just before `end` arrived. */
  private arrivedBy(end: number): Stamp {
    return (this.arrivals.find((a) => a.end >= end) ?? this.arrivals[this.arrivals.length - 1])!.at;
  }

  /**
   * Queues a response for the next poll (compact JSON plus exactly one newline); with the
   * request's method and arrival, its time in the simulator is taken when it is written.
   */
  queue(text: string, method: string | null = null, arrived: Stamp | null = null): void {
    if (!this.closed && !this.ending) this.outgoing.push({ text, method, arrived });
  }

  flush(): void {
    if (this.closed || this.outgoing.length === 0) return;
    const answers = this.outgoing;
    const text = answers.length === 1 ? `${answers[0]!.text}\n` : `${answers.map((a) => a.text).join('\n')}\n`;
    this.outgoing = [];
    this.socket.write(text);
    const timed = answers.filter((a) => a.arrived !== null);
    if (timed.length === 0) return;
    const now = this.clock.now();
    const last = timed[timed.length - 1]!;
    const from = last.arrived!;
    this.lastAnswer = { method: last.method ?? '', wallMs: now.wallMs - from.wallMs, cpuMs: now.cpuMs - from.cpuMs, polls: now.tick - from.tick };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.outgoing = [];
    this.socket.destroy();
  }
}
