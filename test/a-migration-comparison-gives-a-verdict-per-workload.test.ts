/**
 * A migration comparison runs each scenario as a real migration (to a destination process of
 * its own) and says per workload which migrated faster and why; a scenario that could not
 * migrate decides nothing and is named with the reason. Its report draws in the browser test's
 * terms (bars per measure, a timeline per workload).
 */
import { expect, it } from 'vitest';
import { runMigrationComparison } from '../src/experiments/migration-comparison.ts';
import { migrationComparisonSection, migrationComparisonText } from '../src/report/migration-comparison-report.ts';

it('the fast link wins, the link that cannot keep up is named with its reason', async () => {
  const guest = { strategy: 'ring' as const, memory: '4MiB', vcpus: 1, pattern: 'random' as const, writeRate: 3000 };
  const r = await runMigrationComparison({
    name: 'test', summary: 'two links', trials: 1,
    scenarios: [
      { name: 'fast', group: 'random writes, 4 MiB', vm: guest, migration: { bandwidth: '256MiB' } },
      { name: 'slow', group: 'random writes, 4 MiB', vm: guest, migration: { bandwidth: '4MiB', maxRounds: 2 } },
    ],
  });
  expect(r.scenarios.map((s) => [s.name, s.summary.migrated])).toEqual([['fast', 1], ['slow', 0]]);
  expect(r.verdicts.map((v) => [v.group, v.winner])).toEqual([['random writes, 4 MiB', 'fast']]);
  expect(r.verdicts[0]!.reason).toMatch(/^fast alone migrated every trial \(fast took .+ in 1 round with .+ of downtime\); slow did not migrate in 1 of 1 trials \(did not converge in 2 rounds/);
  const section = migrationComparisonSection(r);
  expect(section.charts.map((c) => c.id)).toEqual(['test-totalMs', 'test-downtimeMs', 'test-rounds', 'test-transferred', 'test-g0-remaining']);
  expect(migrationComparisonText(r)).toMatch(/winner: fast/);
}, 60_000);
