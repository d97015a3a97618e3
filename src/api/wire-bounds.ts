/**
 * The request bounds (validation/limits.ts: STRING_MAX_BYTES per string, LIST_MAX entries per
 * list or map) checked on the request's bytes, before protobufjs decodes them. Decoding a
 * 512 KiB string into a JavaScript string, or 100,000 list entries into objects, costs the main
 * loop milliseconds a call that is refused anyway should not take from other callers; a length
 * prefix and a count cost nothing. The scan reads only tags and lengths, following the message
 * types of the API's descriptors; what it cannot follow (bytes that are not a well-formed message)
 * it leaves to the decoder, whose refusal is the malformed-request one (undecodable.ts).
 */
import type { PackageDefinition } from '@grpc/proto-loader';
import { LIST_MAX, STRING_MAX_BYTES } from '../validation/limits.js';

/** A request field past a bound: its path as the edge names fields (snake_case, [i] for entries). */
export interface OverBound {
  field: string;
  /** 'string': `size` bytes long; 'list': `size` entries. */
  kind: 'string' | 'list';
  size: number;
}

interface FieldShape {
  name: string;
  repeated: boolean;
  /** A string or bytes field: its length is bounded. */
  text: boolean;
  /** A message field: its bytes are scanned with this shape (resolved on first use). */
  message?: () => MessageShape | undefined;
}

interface MessageShape {
  fields: Map<number, FieldShape>;
  /** A map's entry (key, value): its bounds are reported as the map's, as the edge names them. */
  mapEntry: boolean;
}

interface DescriptorField {
  name: string;
  number: number;
  type: string;
  typeName: string;
  label: string;
}

interface Descriptor {
  name: string;
  field?: DescriptorField[];
  nestedType?: Descriptor[];
  options?: { mapEntry?: boolean } | null;
}

/** Deeper than any message of the API nests; deeper bytes are left to the decoder. */
const DEPTH_MAX = 8;

const WIRE_VARINT = 0;
const WIRE_FIXED64 = 1;
const WIRE_LENGTH = 2;
const WIRE_FIXED32 = 5;

/** Shapes of the messages of `definition`, built once, resolved lazily. */
export class WireBounds {
  private readonly shapes = new Map<string, MessageShape>();
  private readonly descriptors = new Map<string, Descriptor>();

  constructor(definition: PackageDefinition) {
    for (const [fullName, entry] of Object.entries(definition)) {
      const type = (entry as { type?: Descriptor }).type;
      if (type && Array.isArray(type.field)) this.register(fullName, type);
    }
  }

  /** The first bound `bytes` (a `typeName` message) breaks, or undefined. */
  check(typeName: string, bytes: Buffer): OverBound | undefined {
    const shape = this.shape(typeName);
    return shape ? scan(bytes, 0, bytes.length, shape, '', 0) : undefined;
  }

  private register(fullName: string, type: Descriptor): void {
    this.descriptors.set(fullName, type);
    for (const nested of type.nestedType ?? []) this.register(`${fullName}.${nested.name}`, nested);
  }

  private shape(fullName: string): MessageShape | undefined {
    const known = this.shapes.get(fullName);
    if (known) return known;
    const descriptor = this.descriptors.get(fullName);
    if (!descriptor) return undefined;
    const shape: MessageShape = { fields: new Map(), mapEntry: descriptor.options?.mapEntry === true };
    this.shapes.set(fullName, shape);
    const scope = fullName.slice(0, fullName.lastIndexOf('.'));
    for (const f of descriptor.field ?? []) {
      const field: FieldShape = { name: snakeCase(f.name), repeated: f.label === 'LABEL_REPEATED', text: f.type === 'TYPE_STRING' || f.type === 'TYPE_BYTES' };
      if (f.type === 'TYPE_MESSAGE') {
        // proto-loader names a field's type relative to its scope: nested first, then the package's.
        const candidates = [`${fullName}.${f.typeName}`, `${scope}.${f.typeName}`, f.typeName];
        field.message = () => {
          const found = candidates.find((c) => this.descriptors.has(c));
          return found === undefined ? undefined : this.shape(found);
        };
      }
      shape.fields.set(f.number, field);
    }
    return shape;
  }
}

function scan(buf: Buffer, start: number, end: number, shape: MessageShape, prefix: string, depth: number): OverBound | undefined {
  const counts = new Map<number, number>();
  let at = start;
  while (at < end) {
    const tag = varint(buf, at, end);
    if (!tag) return undefined;
    at = tag.next;
    const number = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    const field = shape.fields.get(number);
    const index = counts.get(number) ?? 0;
    counts.set(number, index + 1);
    if (field?.repeated && index + 1 > LIST_MAX) return { field: `${prefix}${field.name}`, kind: 'list', size: index + 1 };
    if (wire === WIRE_VARINT) {
      const skipped = varint(buf, at, end);
      if (!skipped) return undefined;
      at = skipped.next;
    } else if (wire === WIRE_FIXED64) {
      at += 8;
    } else if (wire === WIRE_FIXED32) {
      at += 4;
    } else if (wire === WIRE_LENGTH) {
      const length = varint(buf, at, end);
      if (!length || length.next + length.value > end) return undefined;
      at = length.next;
      const path = field ? `${prefix}${field.name}${field.repeated ? `[${index}]` : ''}` : '';
      if (field?.text && length.value > STRING_MAX_BYTES) return { field: shape.mapEntry ? prefix.slice(0, -1) : path, kind: 'string', size: length.value };
      const nested = field?.message?.();
      if (nested && depth < DEPTH_MAX) {
        const found = scan(buf, at, at + length.value, nested, nested.mapEntry ? `${prefix}${field!.name}.` : `${path}.`, depth + 1);
        if (found) return found;
      }
      at += length.value;
    } else {
      // Groups and unknown wire types: not this API's; the decoder says what is wrong.
      return undefined;
    }
  }
  return undefined;
}

function varint(buf: Buffer, at: number, end: number): { value: number; next: number } | undefined {
  let value = 0;
  let scale = 1;
  for (let i = at; i < end && i < at + 10; i++) {
    const byte = buf[i]!;
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if (byte < 0x80) return { value, next: i + 1 };
  }
  return undefined;
}

function snakeCase(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
