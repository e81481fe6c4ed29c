/** Guest sizes as people write them: "64MiB", "1GiB", "16TiB", or a number of bytes. */
import { describe } from '../validate.ts';

const UNITS: Record<string, number> = { B: 1, KIB: 2 ** 10, MIB: 2 ** 20, GIB: 2 ** 30, TIB: 2 ** 40, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };

export function parseSize(name: string, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) return value;
  const m = typeof value === 'string' ? /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(value) : null;
  const unit = m ? UNITS[(m[2] || 'B').toUpperCase()] : undefined;
  if (!m || unit === undefined) {
    throw new TypeError(`${name} must be a size like 64MiB, 1GiB or 16TiB (or a number of bytes), got ${describe(value)}`);
  }
  const bytes = Math.round(Number(m[1]) * unit);
  if (bytes <= 0) throw new RangeError(`${name} must be larger than 0, got ${describe(value)}`);
  return bytes;
}

export function formatSize(bytes: number): string {
  for (const [u, v] of [['TiB', 2 ** 40], ['GiB', 2 ** 30], ['MiB', 2 ** 20], ['KiB', 2 ** 10]] as const) {
    if (bytes >= v && bytes % v === 0) return `${bytes / v}${u}`;
  }
  return `${bytes}B`;
}
