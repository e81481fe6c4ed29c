/**
 * Unsigned 64-bit arithmetic on BigInt. KVM's counters (TSC, offsets, kvmclock ns) are u64 and
 * wrap modulo 2^64; JS numbers lose precision above 2^53, so every counter is a bigint and
 * every multiply-shift is done on the exact (at least 128-bit) product before truncating.
 */

/** 2^64 - 1, the largest u64. */
export const U64_MAX = (1n << 64n) - 1n;

/** Reduces any bigint modulo 2^64 (what a C `u64` assignment does). */
export function u64(value: bigint): bigint {
  return BigInt.asUintN(64, value);
}

/** `(a * b) >> shift` with the full product, then truncated to u64 (mul_u64_u64_shr). */
export function mulShr(a: bigint, b: bigint, shift: bigint): bigint {
  return u64((a * b) >> shift);
}

/** `floor(a * b / c)` with the full product, then truncated to u64 (mul_u64_u32_div). */
export function mulDiv(a: bigint, b: bigint, c: bigint): bigint {
  return u64((a * b) / c);
}

/** True when `value` is a bigint in [0, 2^64). */
export function isU64(value: unknown): value is bigint {
  return typeof value === 'bigint' && value >= 0n && value <= U64_MAX;
}

/** Hex rendering used in tables and CLI output, e.g. 0x311FCD52370. */
export function hex(value: bigint): string {
  return `0x${value.toString(16).toUpperCase()}`;
}
