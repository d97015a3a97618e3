/**
 * Hostile requests for the API fuzzer, from the request's descriptor: every field's type gets the
 * values that broke or nearly broke services like this one (limits, signs, prototype names,
 * control characters, truncated NQNs, `..` and symlinks, thousands of entries), and whole messages
 * get truncated, flipped or replaced by garbage.
 *
 * The service acts on what it accepts, so two kinds of field are drawn only from safe pools:
 * addresses (peers and engines connect to them: only loopback literals and strings no resolver
 * would be asked about) and disk paths (the simulator writes lvstores into files: only files in
 * the fuzzer's own directory, or paths that do not exist). Byte-level mutations, which could turn
 * those into anything, are used only on requests that carry neither.
 */
import { type Descriptors, encodeMessage, isMap, type FieldDescriptor, type MessageDescriptor, type WireMessage, type WireValue } from './proto-wire.js';

export type Random = () => number;

/** mulberry32: small, seedable, good enough to pick cases. */
export function prng(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The random stream of one case: a case replays alone from the seed and its index. */
export function caseRandom(seed: number, index: number): Random {
  return prng(Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35));
}

function pick<T>(random: Random, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)]!;
}

/** What the fuzzer knows of the node it attacks: names that exist, and its files. */
export interface FuzzWorld {
  /** Names of objects made at setup, so that requests also reach existing objects. */
  names: string[];
  /** NQNs that exist (replica exports), and a valid host NQN. */
  nqns: string[];
  /** Paths in the fuzzer's directory: a blank file, a file of data, a symlink to it, `..` forms. */
  paths: string[];
}

const UUID_HOST = 'nqn.2014-08.org.nvmexpress:uuid:6f1d9b0e-3c2a-4b8e-9d7f-0a1b2c3d4e5f';
const MIB = 1024 * 1024;

/** Strings every text field gets. The long ones are rarer: they cost the service real work. */
const STRINGS: readonly string[] = [
  '',
  ' ',
  'a',
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  'prototype',
  'valueOf',
  'A-Upper',
  '-lead',
  'trail-',
  'a'.repeat(32),
  'a'.repeat(33),
  'a'.repeat(48),
  'a'.repeat(49),
  'a'.repeat(256),
  'nul\u0000inside',
  'new\nline',
  'tab\there',
  'del\u007f',
  'c1\u0085',
  'é-accent',
  '😀'.repeat(16),
  '\u202eevil',
  '\ufeffbom',
  '..',
  '.',
  '../x',
  'a/b',
  'a,b',
  'a b',
  '%s%n%x',
  '$' + '{x}', // a template placeholder as plain text (written in two parts for the linter)
  '"quote\'',
  '\\',
];

const LONG_STRINGS: readonly string[] = ['a'.repeat(4096), 'b'.repeat(65_536), 'c'.repeat(300_000), 'd'.repeat(MIB)];

const NQNS: readonly string[] = [
  UUID_HOST,
  'nqn.2014-08.org.nvmexpress:uuid',
  'nqn.2014-08.org.nvmexpress:uuid:',
  'nqn.2014-08.org.nvmexpress:uuid:zzzz',
  `${UUID_HOST}\u0000evil`,
  `${UUID_HOST},ctrl_loss_tmo=0`,
  'NQN.2014-08.org.nvmexpress:uuid:6f1d9b0e-3c2a-4b8e-9d7f-0a1b2c3d4e5f',
  'nqn.2014-13.io.example:bad-month',
  'nqn.2014-08.org.nvmexpress.discovery',
  'nqn.2024-11.io.example:',
  `nqn.2024-11.io.example:${'x'.repeat(200)}`,
  'nqn.2024-11.io.example:host a',
];

/**
 * Addresses: loopback literals, and malformed text that no code path would hand a resolver (it
 * cannot be a host name, and neither can any prefix of it).
 */
const ADDRESSES: readonly string[] = [
  '127.0.0.1',
  '127.0.0.2',
  '::1',
  '[::1]',
  '0.0.0.0',
  '999.1.1.1',
  '1.2.3',
  '',
  '_under',
  ' 127.0.0.1',
  '127.0.0.1:1',
  '127.0.0.1:0',
  '127.0.0.1:99999',
  '[::1]:1',
  ':80',
  '-dash',
  '%00',
  '\u0000',
  '😀',
  `_${'a'.repeat(300)}`,
];

const NUMBERS: readonly bigint[] = [
  0n,
  1n,
  -1n,
  2n,
  512n,
  4096n,
  4097n,
  1048575n,
  1048576n,
  2n ** 31n - 1n,
  2n ** 31n,
  2n ** 32n - 1n,
  2n ** 32n,
  2n ** 53n,
  2n ** 53n + 1n,
  2n ** 63n - 1n,
  -(2n ** 63n),
  2n ** 64n - 1n,
];

type FieldClass = 'address' | 'path' | 'nqn' | 'text';

function classOf(field: FieldDescriptor): FieldClass {
  const name = field.name.toLowerCase();
  if (name.includes('address')) return 'address';
  if (name === 'path') return 'path';
  if (name.includes('nqn')) return 'nqn';
  return 'text';
}

/** Whether any field of the type, at any depth, is an address or a path. */
export function carriesUnsafeFields(type: MessageDescriptor, descriptors: Descriptors, depth = 0): boolean {
  if (depth > 6) return false;
  return type.field.some((f) => {
    if (classOf(f) === 'address' || classOf(f) === 'path') return true;
    return f.type === 'TYPE_MESSAGE' && carriesUnsafeFields(descriptors.message(f.typeName, type), descriptors, depth + 1);
  });
}

export class HostileMessages {
  constructor(
    private readonly descriptors: Descriptors,
    private readonly world: FuzzWorld,
  ) {}

  message(random: Random, type: MessageDescriptor, depth = 0): WireMessage {
    const out: WireMessage = {};
    for (const field of type.field) {
      if (random() < 0.3) continue;
      if (isMap(field, this.descriptors, type)) out[field.name] = this.map(random, field, type);
      else if (field.label === 'LABEL_REPEATED') out[field.name] = this.list(random, field, type, depth);
      else out[field.name] = this.value(random, field, type, depth);
    }
    return out;
  }

  /** A message as bytes: mostly well-formed hostile values; `mangle` adds byte-level damage. */
  bytes(random: Random, type: MessageDescriptor, mangle: boolean): { bytes: Buffer; shown: unknown; mutation: string } {
    const message = this.message(random, type);
    const bytes = encodeMessage(message, type, this.descriptors);
    if (!mangle || random() < 0.4) return { bytes, shown: message, mutation: 'hostile values' };
    const kind = pick(random, ['truncated', 'bit flips', 'garbage', 'wrong wire type', 'unknown fields'] as const);
    switch (kind) {
      case 'truncated':
        return { bytes: bytes.subarray(0, Math.floor(random() * bytes.length)), shown: message, mutation: kind };
      case 'bit flips': {
        const copy = Buffer.from(bytes);
        for (let i = 0; i < 1 + Math.floor(random() * 4) && copy.length > 0; i++) copy[Math.floor(random() * copy.length)]! ^= 1 << Math.floor(random() * 8);
        return { bytes: copy, shown: message, mutation: kind };
      }
      case 'garbage': {
        const garbage = Buffer.alloc(Math.floor(random() * 64));
        for (let i = 0; i < garbage.length; i++) garbage[i] = Math.floor(random() * 256);
        return { bytes: garbage, shown: garbage.toString('hex'), mutation: kind };
      }
      case 'wrong wire type': {
        // Field 1 as a fixed64, a fixed32 and a start-group: right number, wrong shape.
        const shapes = [Buffer.from([0x09, 1, 2, 3, 4, 5, 6, 7, 8]), Buffer.from([0x0d, 1, 2, 3, 4]), Buffer.from([0x0b]), Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])];
        return { bytes: Buffer.concat([pick(random, shapes), bytes]), shown: message, mutation: kind };
      }
      case 'unknown fields':
        return { bytes: Buffer.concat([bytes, Buffer.from([0xf8, 0xff, 0xff, 0xff, 0x0f, 0x01, 0xa2, 0x06, 0x03, 0x61, 0x62, 0x63])]), shown: message, mutation: kind };
    }
  }

  private count(random: Random): number {
    const r = random();
    if (r < 0.04) return pick(random, [1000, 5000]);
    return pick(random, [0, 1, 2, 3]);
  }

  private list(random: Random, field: FieldDescriptor, parent: MessageDescriptor, depth: number): WireValue[] {
    const n = this.count(random);
    if (n > 3) {
      // Thousands of one value: the size is the attack, and it stays cheap to build.
      const one = this.value(random, field, parent, depth + 1);
      return Array.from({ length: n }, () => one);
    }
    return Array.from({ length: n }, () => this.value(random, field, parent, depth + 1));
  }

  private map(random: Random, field: FieldDescriptor, parent: MessageDescriptor): [WireValue, WireValue][] {
    const n = this.count(random);
    if (n > 3) return Array.from({ length: n }, (_, i) => [`k${i}`, 'v'] as [WireValue, WireValue]);
    const entry = this.descriptors.message(field.typeName, parent);
    return Array.from({ length: n }, () => [this.string(random, entry.field[0]!), this.string(random, entry.field[1]!)] as [WireValue, WireValue]);
  }

  private value(random: Random, field: FieldDescriptor, parent: MessageDescriptor, depth: number): WireValue {
    switch (field.type) {
      case 'TYPE_MESSAGE':
        return depth > 4 ? {} : this.message(random, this.descriptors.message(field.typeName, parent), depth + 1);
      case 'TYPE_STRING':
      case 'TYPE_BYTES':
        return this.string(random, field);
      case 'TYPE_BOOL':
        return pick(random, [0n, 1n, 2n, 2n ** 64n - 1n]);
      case 'TYPE_ENUM':
        return pick(random, [...this.descriptors.enumNumbers(field.typeName).map(BigInt), 99n, -1n, 2n ** 31n - 1n]);
      case 'TYPE_DOUBLE':
      case 'TYPE_FLOAT':
        return pick(random, [0, -0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 1e308, 5e-324]);
      default:
        return random() < 0.2 ? BigInt(Math.floor(random() * 4096)) * BigInt(pick(random, [1, MIB])) : pick(random, NUMBERS);
    }
  }

  private string(random: Random, field: FieldDescriptor): string | Buffer {
    const cls = classOf(field);
    if (cls === 'address') return pick(random, ADDRESSES);
    if (cls === 'path') return pick(random, this.world.paths);
    const r = random();
    if (r < 0.02) return pick(random, LONG_STRINGS);
    if (r < 0.05) return Buffer.from([0x61, 0xff, 0xfe, 0xc0, 0x80]); // not UTF-8
    if (cls === 'nqn' || r < 0.15) return pick(random, r < 0.1 ? this.world.nqns : NQNS);
    if (r < 0.45) return pick(random, this.world.names);
    return pick(random, STRINGS);
  }
}
