/**
 * `dirtylog bench kvm`, as a user runs it: each operation asked for is timed on this machine's
 * /dev/kvm and in the engine, and printed as one row with both medians and their ratio (the
 * JSON document, parsed, and the text table).
 */
import { expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { describeOnKvm } from './support/conformance.ts';

interface Summary { median: number; min: number; max: number }
interface Report {
  kind: string; load: { before: number; after: number }; method: { reps: number; slotPages: number };
  rows: { operation: string; unit: string; kvm: Summary; engine: Summary; ratio: number }[]; calibration?: unknown; interrupted: boolean;
}

describeOnKvm('dirtylog bench kvm', () => {
  it('--json: a row per operation asked for, the kernel\'s and the engine\'s medians and their ratio', async () => {
    const cli = spawnCli(await builtCli(), ['bench', 'kvm', '--operation', 'dirty-write', '--operation', 'first-write-ring', '--operation', 'clear-1%', '--reps', '2', '--json']);
    expect((await cli.exited).code, cli.stderr()).toBe(0);
    const r = JSON.parse(cli.stdout()) as Report;
    expect(r.kind).toBe('kvm-bench');
    expect(r.interrupted).toBe(false);
    expect(r.method.reps).toBe(2);
    expect(r.method.slotPages).toBe(2 ** 18); // 1 GiB
    expect(Number.isFinite(r.load.before) && Number.isFinite(r.load.after)).toBe(true);
    // In the benchmark's own order, whatever the order asked in.
    expect(r.rows.map((row) => [row.operation, row.unit])).toEqual([['first-write-ring', 'ns/page'], ['dirty-write', 'ns/page'], ['clear-1%', 'us/call']]);
    for (const row of r.rows) {
      for (const s of [row.kvm, row.engine]) {
        expect(s.median, row.operation).toBeGreaterThan(0);
        expect(s.min).toBeLessThanOrEqual(s.median);
        expect(s.max).toBeGreaterThanOrEqual(s.median);
      }
      expect(row.ratio).toBeCloseTo(row.kvm.median / row.engine.median, 9);
    }
    expect(r.calibration).toBeUndefined(); // reset-random was not measured
  }, 60_000);

  it('prints a table with the load average, and the rows as they finish on stderr', async () => {
    const cli = spawnCli(await builtCli(), ['bench', 'kvm', '--operation', 'reset-seq', '--reps', '1']);
    expect((await cli.exited).code, cli.stderr()).toBe(0);
    expect(cli.stdout()).toMatch(/^dirtylog kvm benchmark — .*; load average [\d.]+ before, [\d.]+ after$/m);
    expect(cli.stdout()).toMatch(/^operation\s+per\s+real KVM median \(range\)\s+engine median \(range\)\s+KVM \/ engine$/m);
    expect(cli.stdout()).toMatch(/^KVM_RESET_DIRTY_RINGS, sequential offsets, per entry\s+entry\s+[\d.]+ [nµm]?s \(.*\)\s+[\d.]+ [nµm]?s \(.*\)\s+[\d.]+x$/m);
    expect(cli.stdout().match(/^KVM_/gm)).toHaveLength(1);
    expect(cli.stderr()).toMatch(/^KVM_RESET_DIRTY_RINGS, sequential offsets, per entry \| entry \|/m);
  }, 60_000);
});
