/**
 * Option checks shared by the KVM verbs. Every message names the option and the fix; the
 * checks run before anything changes, so a rejected call leaves the VM as it was.
 */
export function requireInteger(name: string, value: unknown, min: number, max: number, fix = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new TypeError(`${name} must be an integer, got ${describe(value)}${fix ? `: ${fix}` : ''}`);
  }
  if (value < min || value > max) {
    throw new RangeError(`${name} must be between ${min} and ${max}, got ${value}${fix ? `: ${fix}` : ''}`);
  }
  return value;
}

export function requireBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new TypeError(`${name} must be true or false, got ${describe(value)}`);
  return value;
}

export function requireObject(name: string, value: unknown): Record<string, unknown> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name} must be an options object, got ${describe(value)}`);
  }
  return value as Record<string, unknown>;
}

/** Reject keys the caller did not mean (a typo would otherwise be silently ignored). */
export function rejectUnknownKeys(name: string, value: Record<string, unknown>, known: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      throw new TypeError(`${name}.${key} is not an option; known options: ${known.join(', ')}`);
    }
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'function') return 'a function';
  return typeof value === 'symbol' ? value.toString() : `${value as number | boolean | undefined}`;
}
