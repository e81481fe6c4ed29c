import { describe, expect, it } from 'vitest';
import { ENTRY_POINTS } from './model-entry-points.ts';
import { thrown } from './thrown.ts';

// An inherited field is read like an own one but is invisible to the unknown-key check, so an
// options object derived from another (Object.create) would pass fields nobody checked.
describe.each(ENTRY_POINTS)('$entry', ({ name, call, valid }) => {
  it('refuses options created from valid ones (Object.create)', () => {
    const error = thrown(() => call(Object.create(valid) as object));
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).toBe(`${name} must be a plain object with fields of its own, got an object with a prototype: pass an object of its own fields, not one derived from another`);
  });

  it('refuses a field inherited through a prototype chain that ends in null', () => {
    const [first, ...rest] = Object.keys(valid);
    const base = Object.assign(Object.create(null) as object, { [first!]: valid[first!] });
    const error = thrown(() => call(Object.assign(Object.create(base) as object, Object.fromEntries(rest.map((k) => [k, valid[k]])))));
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).toBe(`${name} must be a plain object with fields of its own, got one that inherits "${first}": pass an object of its own fields, not one derived from another`);
  });
});
