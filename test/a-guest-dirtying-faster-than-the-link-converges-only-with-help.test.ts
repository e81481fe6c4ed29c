/**
 * A guest that dirties faster than --bandwidth carries: without help the migration never fits
 * its downtime budget and ends, after --max-rounds, with exit 1 and a verdict that says why and
 * what to try (the guest runs on at the source; the destination discards its copy); with
 * --auto-converge the vCPUs are throttled in QEMU's steps until it fits, and it completes.
 */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import type { MigrationResult } from '../src/index.ts';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { stdout: (t: string) => void out.push(t), stderr: (t: string) => void err.push(t), signal: new AbortController().signal } };
}

// About 16 MB/s of random writes against an 8 MiB/s link: the dirty set never drops under the 300 ms budget.
const GUEST = ['--mem', '4MiB', '--vcpus', '2', '--pattern', 'random', '--write-rate', '2000', '--bandwidth', '8MiB'];

it('without help: exit 1 after --max-rounds, the verdict says it did not converge and what to try', async () => {
  const { out, io } = capture();
  const code = await runCli(['migrate', ...GUEST, '--max-rounds', '5', '--json'], io);
  const r = JSON.parse(out.join('')) as Extract<MigrationResult, { kind: 'failed' }> & { destination: { summary: { kind: string; verdict: string } } };
  expect(code).toBe(1);
  expect(r).toMatchObject({ kind: 'failed', cause: 'not-converged', phase: 'rounds', guestRunsOn: 'source' });
  expect(r.rounds).toHaveLength(5);
  expect(r.rounds.every((s) => s.expectedDowntimeMs > 300 && s.throttlePercent === 0)).toBe(true);
  expect(r.reason).toMatch(/^did not converge in 5 rounds: \d+ pages \([\d.]+ MiB\) remain, \d+ ms of downtime at [\d.]+ MiB\/s against a budget of 300 ms; the guest dirtied [\d.]+ MiB\/s: try --auto-converge or --dirty-limit/);
  expect(r.destination.summary.kind).toBe('failed');
  expect(r.destination.summary.verdict).toMatch(/the source cancelled the migration in phase rounds: did not converge.*discarded the partial guest/);
}, 60_000);

it('with --auto-converge: throttled 20%, then 10% more each time, until it fits; exit 0', async () => {
  const { out, io } = capture();
  const code = await runCli(['migrate', ...GUEST, '--auto-converge', '--json'], io);
  const r = JSON.parse(out.join('')) as MigrationResult;
  expect(code).toBe(0);
  expect(r.kind).toBe('migrated');
  const steps = [...new Set(r.rounds.map((s) => s.throttlePercent))];
  expect(steps[0]).toBe(0);
  expect(steps.slice(1)).toEqual(steps.slice(1).map((_, i) => 20 + 10 * i));
  expect(steps.length).toBeGreaterThan(1);
  expect(r.proof!.differingCount).toBe(0);
}, 60_000);
