/**
 * The gRPC wire, as much of it as grpc.health.v1 needs, over node:http2 with no gRPC library:
 * the length-prefixed message framing (a compressed flag byte, a 4-byte big-endian length), the
 * status codes, percent-encoded grpc-message, and protobuf for one string field in and one enum
 * field out. The health worker's listener uses it (health-worker-h2.ts); so do the tests and
 * scripts that speak raw gRPC.
 */
import zlib from 'node:zlib';

/** The gRPC status codes the health listener answers with. */
export const GrpcStatus = {
  OK: 0,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

export class GrpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** A message with its 5-byte prefix, uncompressed. */
export function frameMessage(message: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(message.length + 5);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  out.set(message, 5);
  return out;
}

/**
 * Splits a request body into messages as its bytes arrive. A length over `maxLength` is refused
 * as soon as its prefix is read (RESOURCE_EXHAUSTED, as grpc-js words it); so is a body that
 * holds more than `maxMessages`.
 */
export class MessageReader {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  readonly messages: { compressed: boolean; body: Buffer }[] = [];

  constructor(
    private readonly maxLength: number,
    private readonly maxMessages: number,
    private readonly tooMany: () => GrpcError,
  ) {}

  /** Takes a chunk; throws a GrpcError when the body breaks a limit. */
  push(chunk: Buffer): void {
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    for (;;) {
      if (this.pendingBytes < 5) return;
      const head = this.pending.length === 1 ? this.pending[0]! : this.join();
      const length = head.readUInt32BE(1);
      if (length > this.maxLength) throw new GrpcError(GrpcStatus.RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs ${this.maxLength})`);
      if (this.pendingBytes < 5 + length) return;
      const all = this.join();
      if (this.messages.length >= this.maxMessages) throw this.tooMany();
      this.messages.push({ compressed: all[0] !== 0, body: all.subarray(5, 5 + length) });
      const rest = all.subarray(5 + length);
      this.pending = rest.length > 0 ? [rest] : [];
      this.pendingBytes = rest.length;
    }
  }

  /** Bytes of a message begun and not finished. */
  get leftover(): number {
    return this.pendingBytes;
  }

  private join(): Buffer {
    if (this.pending.length > 1) this.pending = [Buffer.concat(this.pending, this.pendingBytes)];
    return this.pending[0]!;
  }
}

/**
 * A message's bytes as sent: a compressed one is inflated when the request declared gzip or
 * deflate (within `maxLength`), refused as UNIMPLEMENTED for an encoding not known, and INTERNAL
 * when the flag is set with no encoding declared (the gRPC protocol forbids it).
 */
export function uncompress(message: { compressed: boolean; body: Buffer }, encoding: string, maxLength: number): Buffer {
  if (!message.compressed) return message.body;
  if (encoding === 'identity') throw new GrpcError(GrpcStatus.INTERNAL, 'Received a compressed message with no grpc-encoding');
  if (encoding !== 'gzip' && encoding !== 'deflate') throw new GrpcError(GrpcStatus.UNIMPLEMENTED, `Received message compressed with unsupported encoding "${encoding}"`);
  try {
    const options = { maxOutputLength: maxLength };
    return encoding === 'gzip' ? zlib.gunzipSync(message.body, options) : zlib.inflateSync(message.body, options);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new GrpcError(GrpcStatus.RESOURCE_EXHAUSTED, `Received message that decompresses to a size larger than ${maxLength}`);
    }
    throw new GrpcError(GrpcStatus.INTERNAL, 'Failed to decompress message');
  }
}

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LEN = 2;
const WIRE_FIXED32 = 5;

function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let scale = 1;
  for (let i = at; i < bytes.length && i < at + 10; i++) {
    const byte = bytes[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return [value, i + 1];
  }
  throw new Error('a varint runs past the message');
}

/**
 * The string fields of a protobuf message by number (the last one of a number wins, as protobuf
 * merges); other fields are skipped. Throws on bytes that are not protobuf (a truncated field, a
 * group, a reserved wire type, a string field sent as another wire type).
 */
export function readStringFields(bytes: Uint8Array, wanted: ReadonlySet<number>): Map<number, string> {
  const found = new Map<number, string>();
  let at = 0;
  while (at < bytes.length) {
    const [key, afterKey] = readVarint(bytes, at);
    const field = Math.floor(key / 8);
    const wire = key % 8;
    if (field === 0) throw new Error('field number 0');
    at = afterKey;
    if (wanted.has(field) && wire !== WIRE_LEN) throw new Error(`field ${field} is not length-delimited`);
    switch (wire) {
      case WIRE_VARINT:
        at = readVarint(bytes, at)[1];
        break;
      case WIRE_FIXED64:
        at += 8;
        break;
      case WIRE_FIXED32:
        at += 4;
        break;
      case WIRE_LEN: {
        const [length, start] = readVarint(bytes, at);
        at = start + length;
        if (at > bytes.length) break;
        if (wanted.has(field)) found.set(field, Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString('utf8'));
        break;
      }
      default:
        throw new Error(`wire type ${wire}`);
    }
    if (at > bytes.length) throw new Error('a field runs past the message');
  }
  return found;
}

/** A message of one enum (varint) field, number 1: HealthCheckResponse. */
export function enumMessage(value: number): Buffer {
  return Buffer.from([0x08, value]);
}

/** A length-delimited field (a string, bytes, or an embedded message). */
export function lengthField(field: number, bytes: Uint8Array): Buffer {
  const head = varint((field << 3) | WIRE_LEN);
  const length = varint(bytes.length);
  return Buffer.concat([head, length, bytes]);
}

function varint(value: number): Buffer {
  const out: number[] = [];
  let v = value;
  do {
    const byte = v & 0x7f;
    v = Math.floor(v / 128);
    out.push(v > 0 ? byte | 0x80 : byte);
  } while (v > 0);
  return Buffer.from(out);
}

/**
 * grpc-message as the gRPC protocol has it: UTF-8, each byte outside printable ASCII and each '%'
 * percent-encoded (a client decodes it, grpc-js with decodeURIComponent).
 */
export function grpcMessage(text: string): string {
  // Printable ASCII without '%': nothing to encode (every message this listener sends but a name quoted back).
  if (/^[\x20-\x24\x26-\x7e]*$/.test(text)) return text;
  let out = '';
  for (const byte of Buffer.from(text, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
