/**
 * `dirtylog bench kvm --calibrate`: the model's two costs for this host are the kernel's median
 * less the engine's, of a first write to a write-protected page (ring mode) and of a reset
 * entry at random offsets, rounded to whole ns; the text gives them as the flags that use them.
 */
import { expect, it } from 'vitest';
import { builtCli } from './support/built-cli.ts';
import { spawnCli } from './support/cli-process.ts';
import { describeOnKvm } from './support/conformance.ts';

interface Row { operation: string; kvm: { median: number }; engine: { median: number } }

describeOnKvm('dirtylog bench kvm --calibrate', () => {
  it('--json: measures only what the model needs and derives faultCostNs and resetCostNs from it', async () => {
    const cli = spawnCli(await builtCli(), ['bench', 'kvm', '--calibrate', '--reps', '1', '--json']);
    expect((await cli.exited).code, cli.stderr()).toBe(0);
    const r = JSON.parse(cli.stdout()) as { rows: Row[]; calibration: { faultCostNs: number; resetCostNs: number } };
    expect(r.rows.map((row) => row.operation)).toEqual(['first-write-ring', 'reset-random']);
    const less = (op: string) => {
      const row = r.rows.find((x) => x.operation === op)!;
      return Math.max(0, Math.round(row.kvm.median - row.engine.median));
    };
    expect(r.calibration).toEqual({ faultCostNs: less('first-write-ring'), resetCostNs: less('reset-random') });
  }, 60_000);

  it('prints the two values as the run options and flags that take them', async () => {
    const cli = spawnCli(await builtCli(), ['bench', 'kvm', '--calibrate', '--reps', '1']);
    expect((await cli.exited).code, cli.stderr()).toBe(0);
    const m = /^calibration for this host: faultCostNs (\d+), resetCostNs (\d+)$/m.exec(cli.stdout());
    expect(m, cli.stdout()).not.toBeNull();
    expect(cli.stdout()).toContain(`dirtylog run --fault-cost ${m![1]} --reset-cost ${m![2]} ...`);
    expect(cli.stdout()).toContain(`startRun({ faultCostNs: ${m![1]}, resetCostNs: ${m![2]}, ... })`);
    expect(cli.stdout()).not.toMatch(/^operation\s+per/m); // the table went to stderr as progress
  }, 60_000);
});
