/**
 * One client connection: its receive buffer, the requests cut out of it at each poll, and the
 * responses waiting for the next poll. Limits are spdk_tgt v26.05's as recorded in transcript 09.
 */
import type { Socket } from 'node:net';
import type { RequestTiming } from './contract.js';
import { scanValue, skipWhitespace, type JsonValue } from './json-scan.js';

/** A request larger than this (still incomplete) gets the connection reset. */
export const RECV_BUFFER_BYTES = 256 * 1024;
/** SPDK_JSONRPC_MAX_VALUES as observed: a request with more JSON values closes the connection. */
export const MAX_VALUES = 8192;

/**
 * socket.pause() alone keeps libuv reading into the stream's buffer until the kernel queue is
 * empty, and closing an empty queue is a plain EOF for the peer. Stopping the pipe handle itself
 * leaves the bytes in the kernel, so the close becomes the reset spdk_tgt's peers see.
 */
function readControl(socket: Socket): { readStop(): number; readStart(): number } | undefined {
  const handle = (socket as unknown as { _handle?: { readStop?: () => number; readStart?: () => number } })._handle;
  return handle && typeof handle.readStop === 'function' && typeof handle.readStart === 'function' ? (handle as { readStop(): number; readStart(): number }) : undefined;
}

/** A moment in the simulator's process: wall clock, the process's CPU so far, and the poll count. */
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

function cpuMs(): number {
  const cpu = process.cpuUsage();
  return (cpu.user + cpu.system) / 1000;
}

/** `pollStartCpuMs`: the process's CPU when the last poll began (undefined before the first). */
export function processClock(tick: () => number, pollStartCpuMs: () => number | undefined = () => undefined): Clock {
  return {
    now: () => ({ wallMs: performance.now(), cpuMs: cpuMs(), tick: tick() }),
    arrival: () => ({ wallMs: performance.now(), cpuMs: pollStartCpuMs() ?? cpuMs(), tick: tick() }),
  };
}

export type TakeResult =
  /** `arrivals[i]`: when the bytes that completed `values[i]` arrived. */
  | { readonly kind: 'values'; readonly values: JsonValue[]; readonly arrivals: Stamp[] }
  /** Malformed JSON or too many values: no answer, the server closes the connection. */
  | { readonly kind: 'close' }
  /** A single value that does not fit the receive buffer: the connection is reset. */
  | { readonly kind: 'reset' };

export class Connection {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  /** When each received chunk arrived, by the buffer offset just past it. */
  private arrivals: Array<{ end: number; at: Stamp }> = [];
  private outgoing: Array<{ text: string; method: string | null; arrived: Stamp | null }> = [];
  /** The last answer written on this connection, timed (sim_request_time). */
  lastAnswer: RequestTiming | null = null;
  /** Reading stopped because the receive buffer is full. */
  private stopped = false;
  closed = false;

  constructor(
    readonly id: number,
    readonly socket: Socket,
    private readonly clock: Clock = processClock(() => 0),
  ) {}

  /**
   * Bytes wait here until the next poll. Reading stops once the receive buffer is full, like
   * spdk_tgt's fixed buffer: unread bytes stay in the kernel, which is what makes a close a reset.
   */
  received(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    this.arrivals.push({ end: this.bufferedBytes, at: this.clock.arrival() });
    if (this.bufferedBytes >= RECV_BUFFER_BYTES && !this.stopped) {
      this.stopped = true;
      readControl(this.socket)?.readStop();
      this.socket.pause();
    }
  }

  /** Cuts every complete JSON value out of the receive buffer. */
  take(): TakeResult {
    if (this.bufferedBytes === 0) return { kind: 'values', values: [], arrivals: [] };
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    // spdk_tgt's buffer holds 256 KiB: bytes past it (read here in one chunk when the poll came
    // late) are not there yet for its parser, so a larger value never completes.
    const window = buf.length > RECV_BUFFER_BYTES ? buf.subarray(0, RECV_BUFFER_BYTES) : buf;
    const values: JsonValue[] = [];
    const arrivals: Stamp[] = [];
    let pos = 0;
    for (;;) {
      pos = skipWhitespace(window, pos);
      if (pos >= window.length) break;
      const r = scanValue(window, pos);
      if (r.kind === 'incomplete') break;
      if (r.kind === 'invalid' || r.count > MAX_VALUES) return { kind: 'close' };
      values.push(r.value);
      arrivals.push(this.arrivedBy(r.end));
      pos = r.end;
    }
    const rest = buf.length - pos;
    if (window.length - pos >= RECV_BUFFER_BYTES) return { kind: 'reset' };
    this.chunks = rest === 0 ? [] : [buf.subarray(pos)];
    this.bufferedBytes = rest;
    this.arrivals = this.arrivals.filter((a) => a.end > pos).map((a) => ({ end: a.end - pos, at: a.at }));
    if (this.stopped) {
      this.stopped = false;
      readControl(this.socket)?.readStart();
      this.socket.resume();
    }
    return { kind: 'values', values, arrivals };
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
    if (!this.closed) this.outgoing.push({ text, method, arrived });
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
