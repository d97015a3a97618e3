/**
 * spdk_json_number_to_{uint8,uint16,int32,uint32,uint64} (lib/json/json_util.c, v26.05) on a
 * number's JSON text. They do not go through a double: json_number_split gathers the integer and
 * fraction digits into one u64 significand (a digit that would overflow it is -ERANGE, so
 * 18446744073709551615 fits and 18446744073709551616 or 1.00000000000000000000 do not), applies
 * the exponent while it can without losing digits, and the integer decoders then refuse any
 * exponent left. So 1.0, 10e-1 and 1e3 are integers, 1.5, 0.0 and 1e20 are not, and -0 is 0 for
 * int32 but refused by the unsigned ones (any minus sign is). v26.05 has no int64 decoder.
 *
 * BigInt because the u64 range needs 64 bits and JS numbers keep 53.
 */

export type IntegerWidth = 'uint8' | 'uint16' | 'int32' | 'uint32' | 'uint64';

const U64_MAX = (1n << 64n) - 1n;
const I64_MAX = (1n << 63n) - 1n;

const MAX: Record<IntegerWidth, bigint> = {
  uint8: 0xffn,
  uint16: 0xffffn,
  int32: 0x7fff_ffffn,
  uint32: 0xffff_ffffn,
  uint64: U64_MAX,
};

interface SplitNumber {
  readonly negative: boolean;
  readonly significand: bigint;
  readonly exponent: bigint;
}

/** Accumulates one decimal digit as json_number_split does: null when the u64 would overflow. */
function push(acc: bigint, digit: number): bigint | null {
  const d = BigInt(digit);
  if (acc > (U64_MAX - d) / 10n) return null;
  return acc * 10n + d;
}

/** json_number_split: null where it returns -ERANGE. `text` is a valid JSON number. */
function split(text: string): SplitNumber | null {
  let i = 0;
  const negative = text[0] === '-';
  if (negative) i++;
  let significand = 0n;
  let expDigits = 0n;
  let fracDigits = 0n;
  let state: 'int' | 'frac' | 'exp' = 'int';
  let expNegative = false;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) state = 'frac';
    else if (c === 0x65 || c === 0x45) state = 'exp';
    else if (c === 0x2d) expNegative = true;
    else if (c !== 0x2b) {
      const digit = c - 0x30;
      if (state === 'exp') {
        const next = push(expDigits, digit);
        if (next === null) return null;
        expDigits = next;
      } else {
        const next = push(significand, digit);
        if (next === null) return null;
        significand = next;
        if (state === 'frac') fracDigits++;
      }
    }
  }
  if (expNegative ? expDigits > I64_MAX + 1n : expDigits > I64_MAX) return null;
  // int64 minus the u64 fraction digit count: C's modular arithmetic, as it happens there.
  let exponent = BigInt.asIntN(64, (expNegative ? -expDigits : expDigits) - fracDigits);
  if (exponent < 0n) {
    while (exponent !== 0n && significand >= 10n && significand % 10n === 0n) {
      significand /= 10n;
      exponent++;
    }
  } else if (significand === 0n) {
    // spdk's loop multiplies 0 by 10 `exponent` times (up to 2^63: spdk_tgt itself would spin on
    // 0e9223372036854775807); its outcome, without the loop.
    exponent = 0n;
  } else {
    while (exponent !== 0n && significand <= U64_MAX / 10n) {
      significand *= 10n;
      exponent--;
    }
  }
  return { negative, significand, exponent };
}

/** The value spdk_json_number_to_<width> gives for a JSON number's text, or null where it fails. */
export function decodeInteger(text: string, width: IntegerWidth): bigint | null {
  const n = split(text);
  if (n === null || n.exponent !== 0n) return null;
  if (width === 'int32') {
    if (n.negative) return n.significand > MAX.int32 + 1n ? null : -n.significand;
    return n.significand > MAX.int32 ? null : n.significand;
  }
  if (n.negative || n.significand > MAX[width]) return null;
  return n.significand;
}
