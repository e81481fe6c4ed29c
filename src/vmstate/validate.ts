/**
 * Validation shared by every model: options passed to the library (throw before any state is
 * touched) and state decoded from a migration stream (untrusted: malformed or hostile input
 * gets an error naming the field and the fix, and nothing is applied).
 *
 * u64 values travel in JSON as decimal strings because JSON numbers are doubles.
 */
import { U64_MAX } from './u64.ts';

/** A JSON object as decoded from the stream, before its fields are checked. */
export type JsonRecord = Readonly<Record<string, unknown>>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** Requires a plain object; `path` names it in the error. */
export function expectRecord(value: unknown, path: string): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${path} must be an object; got ${describe(value)}`);
  }
  return value as JsonRecord;
}

/** Requires an array of at most `max` items (bounds hostile input before any per-item work). */
export function expectArray(value: unknown, path: string, max: number): readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`${path} must be an array; got ${describe(value)}`);
  if (value.length > max) throw new RangeError(`${path} has ${value.length} items; at most ${max} are allowed`);
  return value;
}

/** Parses a u64 carried as a decimal string ("1234"), the stream's encoding for counters. */
export function expectU64String(value: unknown, path: string): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(value)) {
    throw new TypeError(`${path} must be a u64 as a decimal string such as "1234"; got ${describe(value)}`);
  }
  const parsed = BigInt(value);
  if (parsed > U64_MAX) throw new RangeError(`${path} must be at most 2^64-1 (${U64_MAX}); got ${value}`);
  return parsed;
}

/** Requires a safe integer in [min, max]. */
export function expectInt(value: unknown, path: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new TypeError(`${path} must be an integer; got ${describe(value)}`);
  }
  if (value < min || value > max) throw new RangeError(`${path} must be in [${min}, ${max}]; got ${value}`);
  return value;
}

/** Requires a boolean. */
export function expectBoolean(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${path} must be true or false; got ${describe(value)}`);
  return value;
}

/** Requires a bigint in [min, max] for a library option (not stream input). */
export function requireBigInt(value: unknown, name: string, min: bigint, max: bigint = U64_MAX): bigint {
  if (typeof value !== 'bigint') {
    throw new TypeError(`${name} must be a bigint (e.g. ${min}n); got ${describe(value)}`);
  }
  if (value < min || value > max) throw new RangeError(`${name} must be in [${min}, ${max}]; got ${value}`);
  return value;
}

/** Rejects keys a decoder does not know, so a typo or injected field is not silently dropped. */
export function expectOnlyKeys(record: JsonRecord, path: string, keys: readonly string[]): void {
  for (const key of Object.keys(record)) {
    if (!keys.includes(key)) throw new TypeError(`${path}.${key} is not a known field; expected only ${keys.join(', ')}`);
  }
}
