/**
 * calc-dirty-rate's three modes, each beside the pages the engine saw written over the same
 * period: the truth is right (sequential writes to fresh pages dirty exactly one page each),
 * dirty-bitmap counts exactly it (one sync at the end reports each written page once),
 * dirty-ring counts ring entries (exactly it while no reset re-arms a page within the period,
 * more once resets do), and page-sampling is a sample whose error stays within a few binomial
 * standard errors. Each measurement starts from its own counters, not the run's. Every period
 * runs until the guest made enough writes (minWrites): a loaded host can leave the vCPU threads
 * unscheduled for a whole calc-time, and a period with no write proves nothing.
 */
import { describe, expect, it } from 'vitest';
import { calcDirtyRate } from '../src/experiments/dirty-rate.ts';
import type { DirtyRateMode, DirtyRateReport } from '../src/run/dirty-rate.ts';

const mode = (r: DirtyRateReport, m: DirtyRateMode) => r.modes.find((x) => x.mode === m)!;

describe('calc-dirty-rate against the engine', () => {
  it('the truth: sequential writes to fresh pages dirty one page each', async () => {
    const r = await calcDirtyRate({ strategy: 'bitmap', vcpus: 1, memory: '256MiB', pattern: 'sequential', writeRate: 20_000, calcTimeMs: 100, measurements: 2, minWrites: 500 });
    expect(r.kind).toBe('completed');
    for (const m of r.measurements) {
      expect(m.truth.writes).toBeGreaterThan(100);
      expect(m.truth.pages).toBe(m.truth.writes);
    }
  });

  it('dirty-bitmap counts exactly the pages written, each period on its own', async () => {
    const r = await calcDirtyRate({ strategy: 'clear-log', vcpus: 2, memory: '64MiB', pattern: 'random', writeRate: 50_000, calcTimeMs: 100, measurements: 3, minWrites: 2000 });
    expect(r.measurements).toHaveLength(3);
    for (const m of r.measurements) {
      expect(m.modes.map((x) => x.mode)).toEqual(['page-sampling', 'dirty-bitmap']);
      expect(mode(m, 'dirty-bitmap').pages).toBe(m.truth.pages);
      expect(mode(m, 'dirty-bitmap').errorPercent).toBe(0);
    }
    expect(r.errors.find((e) => e.mode === 'dirty-bitmap')!.errorPercent.max).toBe(0);
  });

  it('dirty-ring counts exactly the pages written while no reset re-arms one, per vCPU', async () => {
    // 1024 hot pages: fewer entries than a ring's soft limit, and the reaper waits 60 s. The
    // collector still reaps once after a sync's bell, and when the vCPUs already run again that
    // reap re-arms every page once within the period (about 1 measurement in 9 under load): a
    // page is then an entry twice, never more. So: never fewer entries than pages, never more
    // than twice, and exactly the pages in at least one of three periods.
    const r = await calcDirtyRate({ strategy: 'ring', vcpus: 2, memory: '64MiB', pattern: 'zipf', hotPages: 1024, reapIntervalMs: 60_000, calcTimeMs: 100, measurements: 3, minWrites: 20_000 });
    for (const m of r.measurements) {
      const ring = mode(m, 'dirty-ring');
      expect(m.truth.pages).toBeGreaterThan(500);
      expect(ring.pages).toBeGreaterThanOrEqual(m.truth.pages);
      expect(ring.pages).toBeLessThanOrEqual(2 * m.truth.pages);
      expect(ring.vcpus!.map((v) => v.vcpu)).toEqual([0, 1]);
      expect(ring.vcpus!.reduce((a, v) => a + v.pages, 0)).toBe(ring.pages);
    }
    expect(r.measurements.some((m) => mode(m, 'dirty-ring').pages === m.truth.pages)).toBe(true);
  });

  it('dirty-ring counts a page again when it is written after its ring was reset', async () => {
    const r = await calcDirtyRate({ strategy: 'ring', vcpus: 2, memory: '64MiB', ringEntries: 256, pattern: 'zipf', hotPages: 4096, calcTimeMs: 100, measurements: 2, minWrites: 20_000 });
    for (const m of r.measurements) expect(mode(m, 'dirty-ring').pages).toBeGreaterThan(2 * m.truth.pages);
  });

  it('page-sampling estimates the dirty share of the guest from its samples, within a few standard errors', async () => {
    const r = await calcDirtyRate({ strategy: 'bitmap', vcpus: 2, memory: '1GiB', pattern: 'random', writeRate: 200_000, samplePages: 16_384, calcTimeMs: 100, measurements: 2, minWrites: 10_000 });
    for (const m of r.measurements) {
      const s = mode(m, 'page-sampling');
      const n = s.sampled!.pages;
      expect(n).toBe(16_384);
      expect(s.pages).toBeCloseTo((s.sampled!.dirty / n) * m.guestPages, 6);
      const p = m.truth.pages / m.guestPages;
      const sigma = Math.sqrt((p * (1 - p)) / n) * m.guestPages;
      expect(Math.abs(s.pages - m.truth.pages)).toBeLessThan(5 * sigma);
      expect(s.mbPerSecond).toBeCloseTo((s.pages * 4096) / 2 ** 20 / (m.calcTimeMs / 1000), 6);
    }
  });
});
