/** planArena: every region 64-byte aligned, none overlapping, all above the engine's static data; the slot table below it. */
import { expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import { planArena, ABI } from '../src/index.ts';

test.prop([
  fc.integer({ min: 1, max: 4096 }),
  fc.constantFrom(0, 256, 4096, 65536),
  fc.array(fc.record({ pages: fc.integer({ min: 0, max: 100_000 }), contents: fc.boolean() }), { maxLength: 8 }),
])('regions are aligned, disjoint and inside the memory', (maxVcpus, ringEntries, slots) => {
  let plan;
  try {
    plan = planArena({ maxVcpus, ringEntries, slots, scratchBytes: 4096 });
  } catch (err) {
    // 4096 vCPUs with 1 MiB rings do not fit Wasm32: refused by name, never laid out wrong.
    expect(err).toBeInstanceOf(RangeError);
    expect((err as Error).message).toMatch(/more than the 4 GiB a Wasm32 memory holds/);
    return;
  }
  const regions: [number, number][] = [];
  plan.vcpuCtl.forEach((c) => regions.push([c, ABI.VCPU_STRIDE]));
  plan.stallHists.forEach((h) => regions.push([h, 64 * 4]));
  regions.push([plan.ringList, maxVcpus * 4]);
  plan.rings.forEach((r) => ringEntries && regions.push([r, ringEntries * 16]));
  plan.harvestBufs.forEach((r) => ringEntries && regions.push([r, ringEntries * 16]));
  plan.slots.forEach((s, i) => {
    for (const at of [s.armed, s.dirty, s.snapshot, s.clearArg, s.collected, s.iteration, s.truthRing, s.truthBitmap, s.rearmed]) {
      if (s.bitmapStride && at) regions.push([at, s.bitmapStride]);
    }
    if (s.contents) regions.push([s.contents, slots[i]!.pages * ABI.PAGE_SIZE]);
  });
  regions.push([plan.scratch, plan.scratchBytes]);
  regions.sort((a, b) => a[0] - b[0]);
  // Collected, then asserted once: thousands of vCPUs make thousands of regions.
  const misaligned = regions.filter(([at]) => at % ABI.REGION_ALIGN !== 0);
  const overlapping = regions.filter(([at], i) => i > 0 && at < regions[i - 1]![0] + regions[i - 1]![1]);
  expect({ misaligned, overlapping }).toEqual({ misaligned: [], overlapping: [] });
  expect(regions[0]![0]).toBeGreaterThanOrEqual(ABI.REGIONS_BASE);
  const [lastAt, lastLen] = regions.at(-1)!;
  expect(lastAt + lastLen).toBeLessThanOrEqual(plan.bytes);
  expect(plan.slotTable + slots.length * ABI.SLOT_STRIDE).toBeLessThanOrEqual(65536);
});
