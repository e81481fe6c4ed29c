/** Bad input to `dirtylog bench kvm` is refused before anything is timed: exit 2, the flag named with the fix. */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { captureIo } from './support/capture-io.ts';

const CASES: [string[], RegExp][] = [
  [['bench', 'kvm', '--operation', 'first-write'], /--operation "first-write" is not an operation: use one of first-write-ring, first-write-bitmap, /],
  [['bench', 'kvm', '--calibrate', '--operation', 'harvest'], /--calibrate measures the operations it needs \(first-write-ring, reset-random\): drop --operation/],
  [['bench', 'kvm', '--reps', '0'], /--reps must be a whole number from 1 to 1000, got "0"/],
  [['bench', 'kvm', '--reps', 'many'], /--reps must be a number, got "many"/],
  [['bench', 'kvm', '--engine', 'c'], /--engine must be wasm or js, got "c"/],
  [['bench', 'kvm', 'now'], /unexpected argument "now": see dirtylog bench kvm --help/],
  [['bench', 'kvmm'], /unknown benchmark "kvmm": use dirtylog bench engine, transfer or kvm/],
];

it.each(CASES)('%j', async (argv, message) => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(argv, io)).toBe(2);
  expect(io.err()).toMatch(message);
  expect(io.out()).toBe('');
});
