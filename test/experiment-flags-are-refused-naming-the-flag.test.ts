/**
 * Bad input to sweep and compare is refused before anything runs: exit 2, and the message
 * names the flag as typed (--sizes, --mem, --html, not the library's sizes or memory) and the fix.
 */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

// An already-fired signal: if a refusal were missing, nothing long would run anyway.
const CASES: [string[], RegExp][] = [
  [['sweep', 'ring', '--sizes', '1000'], /--sizes \(item 1\) must be a power of two, got 1000: try 1024/],
  [['sweep', 'ring', '--sizes', '128'], /--sizes \(item 1\) must be between 256 and 65536/],
  [['sweep', 'ring', '--sizes', '256,,512'], /--sizes must be a comma-separated list with no empty item/],
  [['sweep', 'ring', '--pml', 'maybe'], /--pml must be off, on or both, got "maybe"/],
  [['sweep', 'ring', '--pattern', 'zipfian'], /--pattern \(item 1\) must be one of .*did you mean zipf\?/],
  [['sweep', 'ring', '--mem', '9TiB'], /--mem must be less than 8 TiB/],
  [['sweep', 'ring', '--json', '--csv'], /--json and --csv both print on stdout: choose one/],
  [['sweep', 'ring', '--html', '/nonexistent-dirtylog/r.html'], /--html "\/nonexistent-dirtylog\/r.html": the folder .* does not exist/],
  [['sweep', 'ring', '--sizes', '256,512', '--pml', 'on'], /--sizes must include a ring of at least 1024 entries with --pml/],
  [['sweep', 'ring', '--fault-cost', '100'], /--fault-cost and --reset-cost go together \(dirtylog bench kvm --calibrate prints both\): add --reset-cost/],
  [['sweep', 'ring', '--fault-cost', '100', '--reset-cost', '5'], /--fault-cost and --reset-cost need --calibrated: add --calibrated, or drop --fault-cost and --reset-cost/],
  [['sweep', 'ring', '--calibrated', '--fault-cost', '1e9', '--reset-cost', '1'], /--fault-cost must be between 0 and 10000000, got 1000000000: nanoseconds per logged page/],
  [['sweep', 'ring', '--backend', 'kvms'], /--backend must be one of model, kvm, got "kvms": did you mean kvm\?/],
  [['sweep', 'ring', '--backend', 'kvm', '--pml', 'on', '--sizes', '1024'], /--pml must be off with --backend kvm: whether KVM logs through PML is the host's choice/],
  [['sweep', 'ring', '--backend', 'kvm', '--mem', '9TiB'], /point 1 \(ring 256 · sequential, 2 vCPUs, 9TiB · kernel\): --mem must be less than 8 TiB/],
  [['sweep', 'guest', '--sizes', '32TiB'], /--sizes \(item 1\) must be at most 16TiB/],
  [['sweep', 'guest', '--strategy', 'rings'], /--strategy \(item 1\) must be one of .*did you mean ring\?/],
  [['sweep', 'guest', '--dirty-fraction', '5'], /--dirty-fraction must be a percentage above 0 and at most 1/],
  [['sweep', 'guest', '--trials', 'two'], /--trials must be a number, got "two"/],
  [['sweep', 'sideways'], /unknown sweep "sideways": use dirtylog sweep ring or dirtylog sweep guest/],
  [['compare', 'strategy'], /unknown comparison "strategy": did you mean strategies\?/],
  [['compare', 'strategies', '--trials', '0'], /--trials must be a whole number from 1 to 100/],
  [['compare', '--scenarios', '/nonexistent-dirtylog.json'], /--scenarios "\/nonexistent-dirtylog.json": cannot read it \(ENOENT\)/],
  [['compare', 'pml', '--scenarios', 'x.json'], /give a comparison name or --scenarios FILE, not both/],
];

it.each(CASES)('%j', async (argv, message) => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(argv, io)).toBe(2);
  expect(io.err()).toMatch(message);
  expect(io.out()).toBe('');
});
