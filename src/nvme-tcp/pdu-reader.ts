/**
 * Cuts a TCP byte stream into NVMe/TCP PDUs without joining the chunks the socket gives: chunks
 * wait in a list, a header is copied out of them into its own small buffer, and a PDU's data is
 * copied straight from the chunks into the place the handler names (a read's destination), as it
 * arrives, so a large C2HData never sits in the list whole.
 */
import { COMMON_HEADER_BYTES, type CommonHeader, decodeCommonHeader, FES, HEADER_MAX, PDU_NAMES } from './pdu.js';

/** The peer broke the protocol; the stream is unusable. `fes`/`fei` go in the TermReq this host sends. */
export class NvmeTcpProtocolError extends Error {
  constructor(
    message: string,
    readonly fes: number,
    readonly fei = 0,
    /** The start of the offending PDU, for the TermReq's data. */
    readonly pdu?: Buffer,
  ) {
    super(message);
    this.name = 'NvmeTcpProtocolError';
  }
}

/** Where a PDU's data goes: copied into `buffer` from `offset`, or collected and handed to `onPdu`. */
export type DataSink = { readonly buffer: Buffer; readonly offset: number } | 'collect';

export interface PduHandler {
  /** The header is complete (`header` holds all `hlen` bytes and stays valid); say where the data goes. Throw NvmeTcpProtocolError to refuse it. */
  onHeader(common: CommonHeader, header: Buffer): DataSink;
  /** The whole PDU has arrived; `data` only for a 'collect' sink. */
  onPdu(common: CommonHeader, header: Buffer, data: Buffer | undefined): void;
}

type Stage = 'common' | 'header' | 'padding' | 'data';

/** The most data a PDU without a destination may carry (a TermReq's: 128 bytes; ICResp's: none). */
const COLLECT_MAX = 4096;

export class PduReader {
  private readonly chunks: Buffer[] = [];
  private head = 0;
  private offset = 0;
  private available = 0;

  private stage: Stage = 'common';
  private readonly common = Buffer.alloc(COMMON_HEADER_BYTES);
  private header: Buffer = Buffer.alloc(0);
  private current: CommonHeader | undefined;
  private filled = 0;
  private remaining = 0;
  private sink: DataSink = 'collect';
  private collected: Buffer | undefined;

  constructor(private readonly handler: PduHandler) {}

  /** Bytes received and not yet consumed (a bound the caller may check). */
  get buffered(): number {
    return this.available;
  }

  /** Feeds one chunk; handler calls happen inside. Throws NvmeTcpProtocolError (the handler's, or a malformed header's). */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.available += chunk.length;
    for (;;) if (!this.step()) break;
    if (this.head === this.chunks.length) {
      this.chunks.length = 0;
      this.head = 0;
    } else if (this.head > 16 && this.head * 2 > this.chunks.length) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }

  private step(): boolean {
    switch (this.stage) {
      case 'common': {
        if (this.available < COMMON_HEADER_BYTES) return false;
        this.take(this.common, 0, COMMON_HEADER_BYTES);
        const h = decodeCommonHeader(this.common);
        if (h.hlen < COMMON_HEADER_BYTES || h.hlen > HEADER_MAX) {
          throw new NvmeTcpProtocolError(`${PDU_NAMES[h.type] ?? `PDU type ${h.type}`} with header length ${h.hlen}`, FES.INVALID_HEADER_FIELD, 2, Buffer.from(this.common));
        }
        if (h.plen < h.hlen)
          throw new NvmeTcpProtocolError(`${PDU_NAMES[h.type] ?? `PDU type ${h.type}`}: PDU length ${h.plen} below its header length ${h.hlen}`, FES.INVALID_HEADER_FIELD, 4, Buffer.from(this.common));
        this.current = h;
        this.header = Buffer.allocUnsafe(h.hlen);
        this.common.copy(this.header, 0);
        this.filled = COMMON_HEADER_BYTES;
        this.stage = 'header';
        return true;
      }
      case 'header': {
        const want = this.header.length - this.filled;
        const n = Math.min(want, this.available);
        if (n > 0) {
          this.take(this.header, this.filled, n);
          this.filled += n;
        }
        if (this.filled < this.header.length) return false;
        return this.headerDone();
      }
      case 'padding': {
        const n = Math.min(this.remaining, this.available);
        this.skip(n);
        this.remaining -= n;
        if (this.remaining > 0) return false;
        return this.startData();
      }
      case 'data': {
        const n = Math.min(this.remaining, this.available);
        if (n > 0) {
          if (this.sink === 'collect') this.take(this.collected!, this.filled, n);
          else this.take(this.sink.buffer, this.sink.offset + this.filled, n);
          this.filled += n;
          this.remaining -= n;
        }
        if (this.remaining > 0) return false;
        this.finish();
        return true;
      }
    }
  }

  private headerDone(): boolean {
    const h = this.current!;
    const dataStart = h.plen > h.hlen && h.pdo !== 0 ? h.pdo : h.hlen;
    if (dataStart < h.hlen || dataStart > h.plen) {
      throw new NvmeTcpProtocolError(
        `${PDU_NAMES[h.type] ?? `PDU type ${h.type}`}: data offset ${h.pdo} outside its header (${h.hlen}) and length (${h.plen})`,
        FES.INVALID_HEADER_FIELD,
        3,
        this.header,
      );
    }
    this.sink = this.handler.onHeader(h, this.header);
    const dataBytes = h.plen - dataStart;
    if (this.sink === 'collect' && dataBytes > COLLECT_MAX) {
      throw new NvmeTcpProtocolError(`${PDU_NAMES[h.type] ?? `PDU type ${h.type}`} carries ${dataBytes} bytes of data this host has no place for`, FES.INVALID_HEADER_FIELD, 4, this.header);
    }
    if (this.sink !== 'collect' && this.sink.offset + dataBytes > this.sink.buffer.length) {
      throw new NvmeTcpProtocolError(
        `${PDU_NAMES[h.type] ?? `PDU type ${h.type}`}: ${dataBytes} bytes at ${this.sink.offset} overrun the ${this.sink.buffer.length}-byte destination`,
        FES.DATA_OUT_OF_RANGE,
        0,
        this.header,
      );
    }
    this.remaining = dataStart - h.hlen;
    this.stage = 'padding';
    return true;
  }

  private startData(): boolean {
    const h = this.current!;
    const dataStart = h.plen > h.hlen && h.pdo !== 0 ? h.pdo : h.hlen;
    this.remaining = h.plen - dataStart;
    this.filled = 0;
    this.collected = this.sink === 'collect' && this.remaining > 0 ? Buffer.allocUnsafe(this.remaining) : undefined;
    this.stage = 'data';
    return true;
  }

  private finish(): void {
    const h = this.current!;
    const header = this.header;
    const data = this.sink === 'collect' ? (this.collected ?? Buffer.alloc(0)) : undefined;
    this.stage = 'common';
    this.current = undefined;
    this.collected = undefined;
    this.handler.onPdu(h, header, data);
  }

  /** Copies `n` bytes (n <= available) from the chunks into `dest` at `at`. */
  private take(dest: Buffer, at: number, n: number): void {
    let done = 0;
    while (done < n) {
      const chunk = this.chunks[this.head]!;
      const count = Math.min(n - done, chunk.length - this.offset);
      chunk.copy(dest, at + done, this.offset, this.offset + count);
      done += count;
      this.advance(count, chunk.length);
    }
    this.available -= n;
  }

  private skip(n: number): void {
    let done = 0;
    while (done < n) {
      const chunk = this.chunks[this.head]!;
      const count = Math.min(n - done, chunk.length - this.offset);
      done += count;
      this.advance(count, chunk.length);
    }
    this.available -= n;
  }

  private advance(count: number, chunkLength: number): void {
    this.offset += count;
    if (this.offset === chunkLength) {
      this.chunks[this.head] = EMPTY;
      this.head++;
      this.offset = 0;
    }
  }
}

const EMPTY = Buffer.alloc(0);
