/** `dirtylog compare --list`: every named comparison, then the ring protocols' experiment, one line each, and `compare` alone prints its usage. */
import { expect, it } from 'vitest';
import { runCli } from '../src/cli/main.ts';
import { COMPARISONS } from '../src/experiments/comparisons.ts';
import { MIGRATION_COMPARISONS } from '../src/experiments/migration-comparisons.ts';
import { PROTOCOL_COMPARISON } from '../src/experiments/protocols.ts';
import { resolveRunOptions } from '../src/run/options.ts';
import { captureIo } from './support/capture-io.ts';

it('lists ring-sizes, strategies, guest-sizes, vcpus, pml, dirty-rate-modes, dirty-limit, protocols, then the migration comparisons, one line each', async () => {
  const io = captureIo();
  expect(await runCli(['compare', '--list'], io)).toBe(0);
  const lines = io.out().trimEnd().split('\n');
  expect(lines.map((l) => l.split(/\s+/)[0])).toEqual([...COMPARISONS.map((c) => c.name), 'protocols', ...MIGRATION_COMPARISONS.map((c) => c.name)]);
  expect(PROTOCOL_COMPARISON.name).toBe('protocols');
  expect(MIGRATION_COMPARISONS.map((c) => c.name)).toEqual(['migration-bandwidth', 'migration-strategies', 'migration-convergence']);
  expect(COMPARISONS.map((c) => c.name)).toEqual(expect.arrayContaining(['ring-sizes', 'strategies', 'guest-sizes', 'vcpus', 'pml', 'dirty-rate-modes', 'dirty-limit']));
  for (const l of lines) expect(l.length).toBeGreaterThan(30);
});

it('compare with no name prints its usage on stderr, exit 2', async () => {
  const io = captureIo({ interrupted: true });
  expect(await runCli(['compare'], io)).toBe(2);
  expect(io.err()).toMatch(/^usage: dirtylog compare NAME/);
});

it('every comparison\'s quick scenarios are valid run options', async () => {
  const { checkPoints } = await import('../src/experiments/trials.ts');
  for (const c of COMPARISONS) {
    for (const quick of [true, false]) expect(() => checkPoints(c.scenarios(quick).map((s) => ({ label: s.name, options: s.options })), 1), c.name).not.toThrow();
  }
});

it("every migration comparison's guests are valid VM options", () => {
  for (const c of MIGRATION_COMPARISONS) {
    for (const quick of [true, false]) for (const s of c.scenarios(quick)) expect(() => resolveRunOptions({ ...s.vm, contents: true }), `${c.name}: ${s.name}`).not.toThrow();
  }
});
