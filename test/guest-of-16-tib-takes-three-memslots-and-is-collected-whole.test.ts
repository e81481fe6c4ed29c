/**
 * A 16 TiB guest does not fit one memslot (KVM_MEM_MAX_NR_PAGES is 2^31 - 1 pages): the sweep
 * splits it as QEMU would, 8191 + 8191 + 2 GiB, and a sync over the three slots collects
 * exactly the pages written, spread over all of them.
 */
import { expect, it } from 'vitest';
import { splitIntoSlots, sweepGuest } from '../src/experiments/guest-sweep.ts';

const GiB_PAGES = 2 ** 18;

it('splits 16 TiB into two slots of 8191 GiB and one of 2 GiB; 1 TiB stays one slot', () => {
  expect(splitIntoSlots(2 ** 44)).toEqual([8191 * GiB_PAGES, 8191 * GiB_PAGES, 2 * GiB_PAGES]);
  expect(splitIntoSlots(2 ** 40)).toEqual([1024 * GiB_PAGES]);
});

it('a ring sync at 16 TiB collects every page written, in both regimes', async () => {
  const r = await sweepGuest({ sizes: ['16TiB'], strategies: ['ring'], trials: 1, dirtyPages: 1000, dirtyFraction: 1e-6 });
  expect(r.failures).toEqual([]);
  const [p] = r.points;
  expect(p!.slotPages).toHaveLength(3);
  expect(p!.regimes.map((g) => [g.regime, g.dirtyPages, g.collectedAll])).toEqual([
    ['fixed-count', 1000, true],
    ['fixed-fraction', 4295, true],
  ]);
  expect(p!.regimes.every((g) => g.syncMs.median > 0)).toBe(true);
}, 60_000);
