/**
 * Cache lines on a ring-size chart: sysfs sizes ("48K", "2048K", "107520K") read as bytes,
 * instruction caches left out, and each line drawn at the ring size where entries x 16 B x
 * vCPUs equals the cache: L1d 48 KiB at 1536 entries for 2 vCPUs, L2 2 MiB at 65536.
 */
import { expect, it } from 'vitest';
import { crossingEntries, dataCaches, ringBytes } from '../src/experiments/cache.ts';

const caches = dataCaches({ L1d: '48K', L1i: '32K', L2: '2048K', L3: '107520K' });

it('reads the data and unified caches, smallest first, labelled as people say them', () => {
  expect(caches.map((c) => [c.name, c.bytes, c.label])).toEqual([
    ['L1d', 49152, 'L1d 48 KiB'],
    ['L2', 2097152, 'L2 2 MiB'],
    ['L3', 110100480, 'L3 105 MiB'],
  ]);
});

it('a line sits where the rings of all vCPUs fill the cache', () => {
  expect(caches.map((c) => crossingEntries(c, 2))).toEqual([1536, 65536, 3440640]);
  expect(ringBytes(65536, 2)).toBe(caches[1]!.bytes);
  expect(crossingEntries(caches[0]!, 1)).toBe(3072);
});

it('an unknown machine has no lines rather than wrong ones', () => {
  expect(dataCaches({})).toEqual([]);
  expect(dataCaches({ L2: 'lots' })).toEqual([]);
});
