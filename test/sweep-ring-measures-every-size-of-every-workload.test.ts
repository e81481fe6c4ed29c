/**
 * A ring sweep runs every size of every workload as real threaded runs, and every point has
 * its metrics; a PML workload starts at 1024 entries (KVM reserves 64 + 512), so the 256 of
 * the grid is not run for it. The analysis names a best size and places the cache lines.
 */
import { expect, it } from 'vitest';
import { sweepRing } from '../src/experiments/ring-sweep.ts';

it('runs 256 and 4096 without PML, only 4096 with it, each point measured', async () => {
  const r = await sweepRing({ sizes: [256, 4096], patterns: ['random'], pml: [false, true], trials: 1, seconds: 0.1, memory: '16MiB' });
  expect(r.interrupted).toBe(false);
  expect(r.workloads.map((w) => [w.workload.pml, w.points.map((p) => p.ringEntries)])).toEqual([[false, [256, 4096]], [true, [4096]]]);
  for (const w of r.workloads) {
    for (const p of w.points) {
      expect(p.outcome.trials.map((t) => t.kind)).toEqual(['completed']);
      expect(p.ringBytes).toBe(p.ringEntries * 16 * 2);
      const s = p.outcome.summary;
      expect(s.writesPerSecond.median).toBeGreaterThan(0);
      expect(s.dirtyPagesPerSecond.median).toBeGreaterThan(0);
      expect(s.stallShare.median).toBeGreaterThanOrEqual(0);
      expect(s.stallShare.median).toBeLessThanOrEqual(1);
      expect(Number.isFinite(s.collectorMsPerSecond.median)).toBe(true);
    }
    expect(w.points.map((p) => p.ringEntries)).toContain(w.analysis.best?.entries);
    expect(w.analysis.crossings.map((c) => c.cache)).toEqual(r.caches.map((c) => c.name));
    expect(w.analysis.verdicts.throughput).not.toBe('');
  }
  // 256 entries fill in a few hundred writes: the small ring must exit, and more often than the big one.
  const [small, big] = r.workloads[0]!.points;
  expect(small!.outcome.summary.fullExitsPerSecond.median).toBeGreaterThan(big!.outcome.summary.fullExitsPerSecond.median);
}, 60_000);
