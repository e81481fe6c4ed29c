import { expect, it } from 'vitest';
import { runCli } from '../../src/cli/main.ts';
import { captureIo } from './cli-io.ts';

it('dirtylog model psci --matrix --json prints every direction for both designs', async () => {
  const io = captureIo();
  expect(await runCli(['model', 'psci', '--matrix', '--json'], io)).toBe(0);
  const { matrix } = JSON.parse(io.out()) as { matrix: { from: string; to: string; register: { kind: string } }[] };
  expect(matrix.find((r) => r.from === 'new' && r.to === 'old')?.register.kind).toBe('refused');
  expect(matrix).toHaveLength(7);
  const text = captureIo();
  expect(await runCli(['model', 'psci', '--matrix'], text)).toBe(0);
  expect(text.out()).toMatch(/pre-register -> new\s+upgraded/);
});
