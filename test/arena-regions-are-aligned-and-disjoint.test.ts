/** planArena: every region 64-byte aligned, none overlapping, all above the engine's static data. */
import { expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { planArena, ABI } from '../src/index.ts';

test.prop([
  fc.integer({ min: 1, max: 64 }),
  fc.constantFrom(0, 256, 4096, 65536),
  fc.array(fc.record({ pages: fc.integer({ min: 0, max: 100_000 }), contents: fc.boolean() }), { maxLength: 8 }),
])('regions are aligned, disjoint and inside the memory', (maxVcpus, ringEntries, slots) => {
  const plan = planArena({ maxVcpus, ringEntries, slots, scratchBytes: 4096 });
  const regions: [number, number][] = [];
  plan.rings.forEach((r) => ringEntries && regions.push([r, ringEntries * 16]));
  plan.harvestBufs.forEach((r) => ringEntries && regions.push([r, ringEntries * 16]));
  plan.slots.forEach((s, i) => {
    for (const at of [s.armed, s.dirty, s.snapshot, s.clearArg]) if (s.bitmapStride) regions.push([at, s.bitmapStride]);
    if (s.contents) regions.push([s.contents, slots[i]!.pages * ABI.PAGE_SIZE]);
  });
  regions.push([plan.scratch, plan.scratchBytes]);
  regions.sort((a, b) => a[0] - b[0]);
  for (const [at] of regions) expect(at % ABI.REGION_ALIGN).toBe(0);
  expect(regions[0]![0]).toBeGreaterThanOrEqual(ABI.REGIONS_BASE);
  for (let i = 1; i < regions.length; i++) expect(regions[i]![0]).toBeGreaterThanOrEqual(regions[i - 1]![0] + regions[i - 1]![1]);
  const [lastAt, lastLen] = regions.at(-1)!;
  expect(lastAt + lastLen).toBeLessThanOrEqual(plan.bytes);
  expect(plan.slotTable + slots.length * ABI.SLOT_STRIDE).toBeLessThanOrEqual(65536);
});
