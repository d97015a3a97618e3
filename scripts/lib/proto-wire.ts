/**
 * A protobuf writer driven by the loaded descriptors, for the fuzzer: it writes what protobufjs
 * would refuse to (a uint32 of 2^64-1, a bool of 2, a string of invalid UTF-8), so that the
 * service's own decoder and checks are what meet the hostile values.
 */
import type { PackageDefinition } from '@grpc/proto-loader';

export interface FieldDescriptor {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}

export interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  options: { mapEntry?: boolean } | null;
}

interface EnumDescriptor {
  value: { name: string; number: number }[];
}

/** A field's value: bigint for varints, number for doubles, string or raw bytes, a message, a list, a map's entries. */
export type WireValue = bigint | number | boolean | string | Buffer | WireMessage | WireValue[] | [WireValue, WireValue][];
export interface WireMessage {
  [field: string]: WireValue;
}

/** Finds message and enum descriptors by the relative names the loader leaves in typeName. */
export class Descriptors {
  constructor(
    private readonly definition: PackageDefinition,
    private readonly pkg: string,
  ) {}

  message(typeName: string, parent?: MessageDescriptor): MessageDescriptor {
    const nested = parent?.nestedType.find((t) => t.name === typeName);
    if (nested) return nested;
    const def = this.definition[`${this.pkg}.${typeName.replace(/^\./, '')}`] ?? this.definition[typeName.replace(/^\./, '')];
    if (!def || !('type' in def)) throw new Error(`no message type ${typeName}`);
    return (def as { type: unknown }).type as MessageDescriptor;
  }

  enumNumbers(typeName: string): number[] {
    const def = this.definition[`${this.pkg}.${typeName}`] as { type?: EnumDescriptor } | undefined;
    return def?.type?.value.map((v) => v.number) ?? [0];
  }
}

const WIRE = { varint: 0, fixed64: 1, bytes: 2, fixed32: 5 } as const;

export function isMap(field: FieldDescriptor, descriptors: Descriptors, parent: MessageDescriptor): boolean {
  return field.type === 'TYPE_MESSAGE' && field.label === 'LABEL_REPEATED' && descriptors.message(field.typeName, parent).options?.mapEntry === true;
}

export function encodeMessage(message: WireMessage, type: MessageDescriptor, descriptors: Descriptors): Buffer {
  const parts: Buffer[] = [];
  for (const field of type.field) {
    const value = message[field.name];
    if (value === undefined) continue;
    if (isMap(field, descriptors, type)) {
      const entryType = descriptors.message(field.typeName, type);
      for (const [k, v] of value as [WireValue, WireValue][]) parts.push(encodeField(field, encodeMessage({ key: k, value: v }, entryType, descriptors)));
    } else if (field.label === 'LABEL_REPEATED') {
      for (const item of value as WireValue[]) parts.push(encodeScalarOrMessage(field, item, type, descriptors));
    } else parts.push(encodeScalarOrMessage(field, value, type, descriptors));
  }
  return Buffer.concat(parts);
}

function encodeScalarOrMessage(field: FieldDescriptor, value: WireValue, parent: MessageDescriptor, descriptors: Descriptors): Buffer {
  switch (field.type) {
    case 'TYPE_MESSAGE':
      return encodeField(field, encodeMessage(value as WireMessage, descriptors.message(field.typeName, parent), descriptors));
    case 'TYPE_STRING':
    case 'TYPE_BYTES':
      return encodeField(field, Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8'));
    case 'TYPE_DOUBLE': {
      const b = Buffer.alloc(8);
      b.writeDoubleLE(Number(value));
      return Buffer.concat([key(field.number, WIRE.fixed64), b]);
    }
    case 'TYPE_FLOAT': {
      const b = Buffer.alloc(4);
      b.writeFloatLE(Number(value));
      return Buffer.concat([key(field.number, WIRE.fixed32), b]);
    }
    default:
      return Buffer.concat([key(field.number, WIRE.varint), varint(typeof value === 'bigint' ? value : BigInt(value === true ? 1 : value === false ? 0 : Number(value)))]);
  }
}

function encodeField(field: FieldDescriptor, bytes: Buffer): Buffer {
  return Buffer.concat([key(field.number, WIRE.bytes), varint(BigInt(bytes.length)), bytes]);
}

function key(number: number, wire: number): Buffer {
  return varint(BigInt((number << 3) | wire));
}

/** Base-128, negative numbers as their 64-bit two's complement (ten bytes), as protobuf writes them. */
export function varint(value: bigint): Buffer {
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v ? byte | 0x80 : byte);
  } while (v);
  return Buffer.from(out);
}
