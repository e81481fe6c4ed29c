import { describe, expect, it } from 'vitest';
import { ARRAYS, RECORDS } from './decoder-cases.ts';
import { thrown } from './thrown.ts';

// A decoded record's fields must be its own: an inherited field is read like an own one but
// is invisible to the unknown-field check, so an object derived from a valid one would slip
// through with fields nobody checked.
function escape(name: string): string {
  return name.replace(/[.[\]]/g, '\\$&');
}

describe.each(RECORDS)('$name', ({ name, decode, input }) => {
  it('refuses an object created from a valid one (Object.create)', () => {
    const error = thrown(() => decode(input((r) => Object.create(r))));
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).toMatch(new RegExp(`^${escape(name)} must be a plain object with fields of its own, got an object with a prototype: `));
  });

  it('refuses fields inherited through a prototype chain that ends in null', () => {
    const error = thrown(() => decode(input((r) => Object.create(Object.assign(Object.create(null) as object, r)))));
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).toMatch(new RegExp(`^${escape(name)} must be a plain object with fields of its own, got one that inherits "\\w+": `));
  });

  it('refuses one inherited field next to own ones', () => {
    const error = thrown(() => decode(input((r) => {
      const [first, ...rest] = Object.keys(r);
      return Object.assign(Object.create(Object.assign(Object.create(null) as object, { [first!]: r[first!] })) as object, Object.fromEntries(rest.map((k) => [k, r[k]])));
    })));
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).toMatch(new RegExp(`^${escape(name)} must be a plain object with fields of its own, got one that inherits "\\w+"`));
  });
});

describe.each(ARRAYS)('$name', ({ name, decode, input }) => {
  it('refuses an array whose items come from its prototype', () => {
    const error = thrown(() => decode(input((items) => {
      const hollow: unknown[] = [];
      hollow.length = items.length;
      return Object.setPrototypeOf(hollow, items) as unknown[];
    })));
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).toBe(`${name} must be a plain array, got an array with another prototype`);
  });

  it('refuses a hole even with the ordinary prototype', () => {
    const error = thrown(() => decode(input((items) => {
      const holed = new Array<unknown>(items.length);
      items.forEach((item, i) => {
        if (i > 0) holed[i] = item;
      });
      return holed;
    })));
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).toBe(`${name} must be an array of items of its own, got a hole at [0]`);
  });
});
