import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { captureIo } from './cli-io.ts';

describe('dirtylog model tsc', () => {
  it('prints the reference row by default', async () => {
    const io = captureIo();
    expect(await runCli(['model', 'tsc'], io)).toBe(0);
    expect(io.out()).toContain('mult 4922902 shift 24  max_cycles 0x311FCD52370  max_idle_ns 440795242006');
    expect(io.out()).toContain('max_cycles 0x1CD42E4DFFB  max_idle_ns 881590591483');
  });

  it('--freq-khz 3408000 --json prints one JSON document with the computed limits', async () => {
    const io = captureIo();
    expect(await runCli(['model', 'tsc', '--freq-khz', '3408000', '--json'], io)).toBe(0);
    const doc = JSON.parse(io.out()) as { limits: { name: string; freqHz: string; shift: string }[] };
    expect(doc.limits.map((l) => [l.name, l.freqHz, l.shift])).toEqual([['tsc', '3408000000', '24'], ['kvm-clock', '1000000000', '23']]);
  });

  it('--migrate reports the invariants, and exits 3 when the restore is refused', async () => {
    const ok = captureIo();
    expect(await runCli(['model', 'tsc', '--migrate'], ok)).toBe(0);
    expect(ok.out()).toContain('+375000000 guest cycles');
    const refused = captureIo();
    expect(await runCli(['model', 'tsc', '--migrate', '--downtime-ms', '600000'], refused)).toBe(3);
    expect(refused.out()).toContain('restore refused');
  });
});
