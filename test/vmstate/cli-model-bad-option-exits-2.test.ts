import { describe, expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { captureIo } from './cli-io.ts';

describe('dirtylog model usage errors', () => {
  it.each([
    [['model', 'tsc', '--bogus'], /Unknown option '--bogus'/],
    [['model', 'sev', '--scenario', '4'], /--scenario must be one of 1, 2, 3; got '4'/],
    [['model', 'tsc', '--freq-khz', 'fast'], /--freq-khz must be a non-negative integer/],
    [['model', 'psci'], /pass --matrix/],
    [['model', 'nope'], /unknown model 'nope'/],
  ])('%j exits 2 with a message naming the problem', async (argv, message) => {
    const io = captureIo();
    expect(await runCli(argv, io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.out()).toBe('');
  });

  it('--help prints usage and exits 0', async () => {
    const io = captureIo();
    expect(await runCli(['model', '--help'], io)).toBe(0);
    expect(io.out()).toContain('usage: dirtylog model');
  });
});
