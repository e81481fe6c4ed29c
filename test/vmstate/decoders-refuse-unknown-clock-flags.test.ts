import { expect, it } from 'vitest';
import { decodeClockState } from '../../src/vmstate/index.ts';
import { DECODERS } from './decoder-cases.ts';
import { thrown } from './thrown.ts';

// KVM_SET_CLOCK takes only TSC_STABLE (2), REALTIME (4) and HOST_TSC (8); any other bit is
// -EINVAL. The decoder refuses such a stream itself, naming the field and the allowed flags,
// instead of letting it through to fail later at restore.
const clock = DECODERS[0];

function withFlags(flags: number): unknown {
  const state = clock.valid();
  return { ...state, clock: { ...(state.clock as object), flags } };
}

it.each([
  [1, '0x1', '0x1'],
  [16, '0x10', '0x10'],
  [0x8000_0000, '0x80000000', '0x80000000'],
  [1 | 4 | 8, '0xd', '0x1'],
  [0xffff_ffff, '0xffffffff', '0xfffffff1'],
])('refuses flags %i at decode, naming the bits', (flags, shown, unknown) => {
  const error = thrown(() => decodeClockState(withFlags(flags)));
  expect(error).toBeInstanceOf(RangeError);
  expect(error!.message).toBe(
    `clock state.clock.flags must be a combination of KVM_CLOCK_TSC_STABLE (2), KVM_CLOCK_REALTIME (4) and KVM_CLOCK_HOST_TSC (8), got ${shown}: bits ${unknown} are no KVM_SET_CLOCK flag`,
  );
});

it.each([0, 2, 4, 8, 2 | 4, 4 | 8, 2 | 4 | 8])('accepts the documented flags %i', (flags) => {
  expect(decodeClockState(withFlags(flags))).toMatchObject({ clock: { flags } });
});
