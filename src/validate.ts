/**
 * One way to check input, for the whole library: options passed to an API call (checked
 * before anything changes, so a rejected call leaves everything as it was) and records
 * decoded from a stream (untrusted). Every message has one shape:
 *
 *   `<name> must be <what>, got <value>[: <fix>]`
 *
 * Values are echoed through {@link describe}: bounded and escaped, so a hostile 10 MB key or
 * a string with newlines and terminal escapes cannot flood or forge the message.
 */

/** The longest piece of user input a message quotes. */
const ECHO_MAX = 40;

/** A value as a message may quote it: short, escaped, and typed. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === undefined) return String(value);
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'symbol') return 'a symbol';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return 'an object';
}

/** A string from the user, JSON-escaped (no raw newline or escape character) and cut short. */
export function quote(text: string): string {
  return JSON.stringify(text.length > ECHO_MAX ? `${text.slice(0, ECHO_MAX)}…` : text);
}

function message(name: string, what: string, value: unknown, fix?: string): string {
  return `${name} must be ${what}, got ${describe(value)}${fix ? `: ${fix}` : ''}`;
}

/**
 * A plain object of its caller's own fields. Objects from another realm (node:vm) are accepted.
 * `undefined` stands for "no options".
 */
export function requireObject(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(message(name, 'a plain object', value));
  refuseInherited(name, value, 'pass an object of its own fields, not one derived from another');
  return value as Record<string, unknown>;
}

/**
 * Inherited fields would be read by `o.x` but are invisible to the unknown-key check, which
 * sees only own keys. So the prototype must be a realm's Object.prototype or none, and no
 * enumerable field may come from further up (a chain ending in null, a polluted prototype).
 */
function refuseInherited(name: string, value: object, fix: string): void {
  if (!isPlain(value)) throw new TypeError(`${name} must be a plain object with fields of its own, got an object with a prototype: ${fix}`);
  for (const key in value) {
    if (!Object.hasOwn(value, key)) throw new TypeError(`${name} must be a plain object with fields of its own, got one that inherits ${quote(key)}: ${fix}`);
  }
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** Refuse keys nobody reads: a typo would otherwise be silently ignored. Names the closest valid key. */
export function rejectUnknownKeys(name: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    const hint = near ? `did you mean ${near}?` : `known: ${known.join(', ')}`;
    throw new TypeError(`${name}.${/^[A-Za-z_$][\w$]{0,40}$/.test(key) ? key : quote(key)} is not an option: ${hint}`);
  }
}

/** The known name within a small edit distance of `key`, if there is one. */
export function closest(key: string, known: readonly string[]): string | undefined {
  if (key.length > 64) return undefined;
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(key.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  // A word and its longer or shorter form ("zipfian", "zipf") are close whatever the distance.
  return best ?? (lower.length >= 3 ? known.find((k) => lower.startsWith(k.toLowerCase()) || k.toLowerCase().startsWith(lower)) : undefined);
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

export function requireInteger(name: string, value: unknown, min: number, max: number, fix = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError(message(name, 'an integer', value, fix));
  if (value < min || value > max) throw new RangeError(message(name, `between ${min} and ${max}`, value, fix));
  return value;
}

/** A finite number in [min, max]. */
export function requireNumber(name: string, value: unknown, min: number, max: number, fix = ''): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(message(name, 'a number', value, fix));
  if (value < min || value > max) throw new RangeError(message(name, `between ${min} and ${max}`, value, fix));
  return value;
}

/** A finite number above 0 and at most `max` (a duration, a rate, an exponent). */
export function requirePositive(name: string, value: unknown, max: number, fix = ''): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new TypeError(message(name, 'a number', value, fix));
  if (value <= 0 || value > max) throw new RangeError(message(name, `above 0 and at most ${max}`, value, fix));
  return value;
}

export function requireBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(message(name, 'true or false', value));
  return value;
}

/** One of a fixed set of strings; `fallback` when undefined. */
export function requireOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback?: T): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    const near = typeof value === 'string' ? closest(value, allowed) : undefined;
    throw new TypeError(message(name, `one of ${allowed.join(', ')}`, value, near ? `did you mean ${near}?` : ''));
  }
  return value as T;
}

export function requireBigInt(name: string, value: unknown, min: bigint, max: bigint): bigint {
  if (typeof value !== 'bigint') throw new TypeError(message(name, `a bigint (e.g. ${min}n)`, value));
  if (value < min || value > max) throw new RangeError(message(name, `between ${min} and ${max}`, value));
  return value;
}

export function requireFunction<F extends (...args: never[]) => unknown>(name: string, value: unknown): F {
  if (typeof value !== 'function') throw new TypeError(message(name, 'a function', value));
  return value as F;
}

/** An AbortSignal, from this realm or another (duck-typed: `aborted` and `addEventListener`). */
export function requireSignal(name: string, value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  const looksLikeSignal = typeof value === 'object' && value !== null && 'aborted' in value && 'addEventListener' in value
    && typeof value.aborted === 'boolean' && typeof value.addEventListener === 'function';
  if (!looksLikeSignal) {
    throw new TypeError(message(name, 'an AbortSignal', value, 'pass controller.signal'));
  }
  return value as AbortSignal;
}

// Records decoded from a stream ------------------------------------------------------------
// A migration stream is untrusted input: a decoder checks every field before anything is
// applied, refuses fields it does not know, and names the field in every message. u64 values
// travel as decimal strings because JSON numbers are doubles (exact only up to 2^53).

/** A record decoded from a stream, before its fields are checked. */
export type JsonRecord = Readonly<Record<string, unknown>>;

/**
 * A plain object of its own fields (see refuseInherited), returned as a prototype-less copy of
 * them: the fields a decoder reads are then exactly those the unknown-field check saw, even
 * under a polluted Object.prototype or with non-enumerable own fields.
 */
export function expectRecord(name: string, value: unknown): JsonRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TypeError(message(name, 'an object', value));
  refuseInherited(name, value, 'decode the parsed JSON itself, not an object derived from it');
  const own: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(value)) own[key] = (value as Record<string, unknown>)[key];
  return own;
}

/** Refuses fields the decoder does not know, so a typo or an injected field is not silently dropped. */
export function expectOnlyKeys(name: string, record: JsonRecord, keys: readonly string[]): void {
  for (const key of Object.keys(record)) {
    if (keys.includes(key)) continue;
    const near = closest(key, keys);
    throw new TypeError(message(name, `a record with only the fields ${keys.join(', ')}`, key, near ? `did you mean ${near}?` : ''));
  }
}

/**
 * An array of at most `max` items of its own (bounds hostile input before any per-item work),
 * returned as a copy. A hole or a swapped prototype would let `list[i]` read an inherited item.
 */
export function expectArray(name: string, value: unknown, max: number): readonly unknown[] {
  if (!Array.isArray(value)) throw new TypeError(message(name, 'an array', value));
  if (value.length > max) throw new RangeError(`${name} must be an array of at most ${max} items, got ${value.length} items`);
  // Array.prototype is itself an array whose prototype is a realm's Object.prototype.
  const proto: unknown = Object.getPrototypeOf(value);
  if (!Array.isArray(proto) || !isPlain(proto)) throw new TypeError(`${name} must be a plain array, got an array with another prototype`);
  const items: unknown[] = [];
  for (let i = 0; i < value.length; i++) {
    if (!Object.hasOwn(value, i)) throw new TypeError(`${name} must be an array of items of its own, got a hole at [${i}]`);
    items.push(value[i]);
  }
  return items;
}

/** A u64 carried as a decimal string ("1234"), the stream's encoding for counters. */
export function expectU64String(name: string, value: unknown): bigint {
  if (typeof value !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(value)) {
    throw new TypeError(message(name, 'a u64 as a decimal string such as "1234"', value, 'JSON numbers are exact only up to 2^53'));
  }
  const parsed = BigInt(value);
  if (BigInt.asUintN(64, parsed) !== parsed) throw new RangeError(message(name, 'at most 2^64-1 (18446744073709551615)', value));
  return parsed;
}

/** A boolean that must be present (a stream field has no default). */
export function expectBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(message(name, 'true or false', value));
  return value;
}
