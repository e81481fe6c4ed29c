/**
 * Sizes as people type them: "64MiB", "1G", "512M", "64MB", "4096K", "16TiB", or a number of
 * bytes. The suffixes are binary whatever their spelling, as in QEMU's `-m 1G` (1G = 1GB = 1GiB
 * = 2^30 bytes), so a size copied from a QEMU command line means the same guest here.
 */
import { describe } from '../validate.ts';

const SHIFTS: Record<string, bigint> = { '': 0n, B: 0n, K: 10n, M: 20n, G: 30n, T: 40n, P: 50n };
const SIZE = /^\s*(\d+)(?:\.(\d+))?\s*(?:([KMGTP])(?:I?B)?|(B))?\s*$/i;
const EXAMPLES = 'a size like 64MiB, 512M or 1G (binary: 1M = 1MB = 1MiB), or a number of bytes';

/** Bytes in `value`; a TypeError or RangeError naming `name` for anything else. */
export function parseSize(name: string, value: unknown): number {
  if (typeof value === 'number') return checkBytes(name, value, value);
  // No size needs more than a few dozen characters; a longer string would only cost BigInt time.
  const m = typeof value === 'string' && value.length <= 64 ? SIZE.exec(value) : null;
  if (!m) throw new TypeError(`${name} must be ${EXAMPLES}, got ${describe(value)}`);
  const [, whole = '', fraction = '', unit = ''] = m;
  // Exact decimal arithmetic: "1.0000001G" is not a whole number of bytes, whatever a double rounds it to.
  const scale = 10n ** BigInt(fraction.length);
  const scaled = BigInt(whole + fraction) << SHIFTS[unit.toUpperCase()]!;
  if (scaled % scale !== 0n) {
    const exact = `${scaled / scale}.${(scaled % scale).toString().padStart(fraction.length, '0').replace(/0+$/, '')}`;
    throw new RangeError(`${name} must be a whole number of bytes, got ${describe(value)}, which is ${exact} bytes`);
  }
  const bytes = scaled / scale;
  return checkBytes(name, bytes > BigInt(Number.MAX_SAFE_INTEGER) ? Infinity : Number(bytes), value);
}

function checkBytes(name: string, bytes: number, value: unknown): number {
  if (Number.isNaN(bytes)) throw new TypeError(`${name} must be ${EXAMPLES}, got ${describe(value)}`);
  if (bytes <= 0) throw new RangeError(`${name} must be larger than 0, got ${describe(value)}`);
  if (bytes > Number.MAX_SAFE_INTEGER) throw new RangeError(`${name} must be below 8PiB, got ${describe(value)}`);
  if (!Number.isInteger(bytes)) throw new RangeError(`${name} must be a whole number of bytes, got ${describe(value)}`);
  return bytes;
}

/** The shortest exact spelling that {@link parseSize} reads back: 1GiB, 1536MiB, 4097B. */
export function formatSize(bytes: number): string {
  for (const [u, v] of [['PiB', 2 ** 50], ['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= v && bytes % v === 0) return `${bytes / v}${u}`;
  }
  return `${bytes}B`;
}
