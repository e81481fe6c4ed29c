import { describe, expect, it } from 'vitest';
import { ENTRY_POINTS } from './model-entry-points.ts';
import { thrown } from './thrown.ts';

// A misspelt option would otherwise be ignored and the model would run with the default,
// giving a plausible answer to a question nobody asked.
describe.each(ENTRY_POINTS)('$entry', ({ name, call, valid, typo: [key, near] }) => {
  it('accepts its valid options', () => {
    expect(thrown(() => call(valid))).toBeUndefined();
  });

  it('refuses a misspelt key, naming the closest valid one', () => {
    const { [near]: value, ...rest } = valid;
    const error = thrown(() => call({ ...rest, [key]: value ?? 1 }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).toBe(`${name}.${key} is not an option: did you mean ${near}?`);
  });

  it('refuses a key like no valid one, listing them', () => {
    const error = thrown(() => call({ ...valid, 'zzz\nqq': 1 }));
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message.startsWith(`${name}."zzz\\nqq" is not an option: known: `)).toBe(true);
    expect(error!.message).toContain(near);
  });
});
