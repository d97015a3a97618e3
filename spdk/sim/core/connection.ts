/**
 * One client connection: its receive buffer, the requests cut out of it at each poll, and the
 * responses waiting for the next poll. Limits are spdk_tgt v26.05's as recorded in transcript 09.
 */
import type { Socket } from 'node:net';
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

export type TakeResult =
  | { readonly kind: 'values'; readonly values: JsonValue[] }
  /** Malformed JSON or too many values: no answer, the server closes the connection. */
  | { readonly kind: 'close' }
  /** A single value that does not fit the receive buffer: the connection is reset. */
  | { readonly kind: 'reset' };

export class Connection {
  private chunks: Buffer[] = [];
  private bufferedBytes = 0;
  private outgoing: string[] = [];
  /** Reading stopped because the receive buffer is full. */
  private stopped = false;
  closed = false;

  constructor(
    readonly id: number,
    readonly socket: Socket,
  ) {}

  /**
   * Bytes wait here until the next poll. Reading stops once the receive buffer is full, like
   * spdk_tgt's fixed buffer: unread bytes stay in the kernel, which is what makes a close a reset.
   */
  received(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.bufferedBytes += chunk.length;
    if (this.bufferedBytes >= RECV_BUFFER_BYTES && !this.stopped) {
      this.stopped = true;
      readControl(this.socket)?.readStop();
      this.socket.pause();
    }
  }

  /** Cuts every complete JSON value out of the receive buffer. */
  take(): TakeResult {
    if (this.bufferedBytes === 0) return { kind: 'values', values: [] };
    const buf = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    // spdk_tgt's buffer holds 256 KiB: bytes past it (read here in one chunk when the poll came
    // late) are not there yet for its parser, so a larger value never completes.
    const window = buf.length > RECV_BUFFER_BYTES ? buf.subarray(0, RECV_BUFFER_BYTES) : buf;
    const values: JsonValue[] = [];
    let pos = 0;
    for (;;) {
      pos = skipWhitespace(window, pos);
      if (pos >= window.length) break;
      const r = scanValue(window, pos);
      if (r.kind === 'incomplete') break;
      if (r.kind === 'invalid' || r.count > MAX_VALUES) return { kind: 'close' };
      values.push(r.value);
      pos = r.end;
    }
    const rest = buf.length - pos;
    if (window.length - pos >= RECV_BUFFER_BYTES) return { kind: 'reset' };
    this.chunks = rest === 0 ? [] : [buf.subarray(pos)];
    this.bufferedBytes = rest;
    if (this.stopped) {
      this.stopped = false;
      readControl(this.socket)?.readStart();
      this.socket.resume();
    }
    return { kind: 'values', values };
  }

  /** Queues a response for the next poll (compact JSON plus exactly one newline). */
  queue(text: string): void {
    if (!this.closed) this.outgoing.push(text);
  }

  flush(): void {
    if (this.closed || this.outgoing.length === 0) return;
    const text = this.outgoing.length === 1 ? `${this.outgoing[0]}\n` : `${this.outgoing.join('\n')}\n`;
    this.outgoing = [];
    this.socket.write(text);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.outgoing = [];
    this.socket.destroy();
  }
}
