import { describe, expect, it } from 'vitest';
import { RECORDS } from './decoder-cases.ts';
import { thrown } from './thrown.ts';

// A stream is untrusted: an unknown field's name is quoted short and escaped, so a hostile key
// can neither flood a log (10 MB) nor forge lines or terminal output (newlines, ANSI codes).
const HUGE = `${'A'.repeat(10_000_000)}\n\u001b[2J`;
const FORGED = 'x\nerror: all good\u001b[31m';

describe.each(RECORDS)('$name', ({ name, decode, input }) => {
  it('quotes a 10 MB unknown field short', () => {
    const error = thrown(() => decode(input((r) => ({ ...r, [HUGE]: 1 }))));
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message.length).toBeLessThan(400);
    expect(error!.message).toMatch(new RegExp(`^${name.replace(/[.[\]]/g, '\\$&')} must be a record with only the fields [\\w, ]+, got "A{40}…"$`));
  });

  it('escapes newlines and terminal codes in an unknown field', () => {
    const error = thrown(() => decode(input((r) => ({ ...r, [FORGED]: 1 }))));
    expect(error).toBeInstanceOf(TypeError);
    expect(error!.message).not.toMatch(/[\u0000-\u001f\u007f]/);
    expect(error!.message).toContain(JSON.stringify(FORGED));
  });
});
