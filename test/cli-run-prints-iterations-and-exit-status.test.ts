/** `dirtylog run` prints dirty_log_test-style iteration lines and totals, and its exit status tells the outcome. */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), signal: new AbortController().signal } };
}

it('a verified run: iteration lines, totals, verification passed, exit 0', async () => {
  const { out, io } = capture();
  const code = await runCli(['run', '--strategy', 'bitmap', '--mem', '4MiB', '--iterations', '2', '--seconds', '60', '--interval', '40', '--verify'], io);
  const text = out.join('');
  expect(code).toBe(0);
  expect(text).toMatch(/^dirtylog run: bitmap, 2 vCPUs, 4MiB \(1,024 pages\), pattern random, wasm engine, verify on$/m);
  expect(text).toMatch(/^iteration 1: dirty [\d,]+, clean [\d,]+, writes [\d,]+$/m);
  expect(text).toMatch(/^verification: passed/m);
});

it('--json prints the whole result as one document', async () => {
  const { out, io } = capture();
  const code = await runCli(['run', '--strategy', 'ring', '--mem', '4MiB', '--ring', '256', '--iterations', '2', '--seconds', '60', '--json'], io);
  const result = JSON.parse(out.join('')) as { kind: string; totals: { writes: number }; options: { strategy: string } };
  expect(code).toBe(0);
  expect(result).toMatchObject({ kind: 'completed', options: { strategy: 'ring' } });
  expect(result.totals.writes).toBeGreaterThan(0);
});

it.each([
  [['run'], /--strategy is required/],
  [['run', '--strategy', 'ring', '--ring', '1000'], /--ring must be a power of two, got 1000: try 1024/],
  [['run', '--strategy', 'ring', '--vcpus', 'two'], /--vcpus must be a number, got "two"/],
])('bad usage %j exits 2 naming the option', async (argv, message) => {
  const { err, io } = capture();
  expect(await runCli(argv, io)).toBe(2);
  expect(err.join('')).toMatch(message);
});
