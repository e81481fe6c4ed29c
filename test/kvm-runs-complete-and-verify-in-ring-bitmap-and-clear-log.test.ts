/**
 * `dirtylog run --backend kvm`, as a user types it: a native guest per vCPU thread writes this
 * machine's real guest memory, the collector harvests the real rings (or GETs and CLEARs the
 * real bitmaps), and the verifier checks real memory by dirty_log_test's rules. Each x86 mode
 * completes, verifies and exits 0; the ring takes real ring-full exits at 1024 entries.
 */
import { expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { describeOnKvm } from './support/conformance.ts';

const RUNS: readonly (readonly [string, readonly string[]])[] = [
  ['ring', ['--ring', '1024']],
  ['bitmap', []],
  ['clear-log', []],
];

describeOnKvm('dirtylog run --backend kvm', () => {
  it.each(RUNS)('--strategy %s --vcpus 2 --verify completes, verifies and exits 0', async (strategy, ring) => {
    const cli = spawnCli(await builtCli(), ['run', '--backend', 'kvm', '--strategy', strategy, '--vcpus', '2', ...ring, '--verify', '--seconds', '0.5', '--json']);
    const exit = await cli.exited;
    expect(exit.code, cli.stderr()).toBe(0);
    const result = JSON.parse(cli.stdout()) as { kind: string; options: { backend: string }; verification: { kind: string; iterations: number }; totals: { writes: number; fullExits: number; entriesHarvested: number; dirtyPages: number } };
    expect(result.kind).toBe('completed');
    expect(result.options.backend).toBe('kvm');
    expect(result.verification.kind).toBe('passed');
    expect(result.verification.iterations).toBeGreaterThan(0);
    expect(result.totals.writes).toBeGreaterThan(0);
    expect(result.totals.dirtyPages).toBeGreaterThan(0);
    if (strategy === 'ring') {
      expect(result.totals.entriesHarvested).toBeGreaterThan(0);
      expect(result.totals.fullExits).toBeGreaterThan(0); // 64 MiB of random writes through 1024 entries
    }
  }, 60_000);

  // --seconds 60: iterations, not the default second, end it (a loaded machine's iteration can take one).
  it('prints the iterations and the verdict as text', async () => {
    const cli = spawnCli(await builtCli(), ['run', '--backend', 'kvm', '--strategy', 'ring', '--ring', '1024', '--verify', '--iterations', '2', '--seconds', '60']);
    expect((await cli.exited).code, cli.stderr()).toBe(0);
    expect(cli.stdout()).toMatch(/^dirtylog run: ring, 2 vCPUs, 64MiB \(16,384 pages\), ring 1024 entries, pattern random, on \/dev\/kvm, verify on$/m);
    expect(cli.stdout()).toMatch(/^iteration 2: dirty [\d,]+, clean [\d,]+, writes [\d,]+/m);
    expect(cli.stdout()).toMatch(/^verification: passed \(2 iterations/m);
  }, 60_000);
});
