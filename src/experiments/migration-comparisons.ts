/**
 * The named migration comparisons of `dirtylog compare NAME`: each a list of migrations of the
 * same guest under one thing that differs. Modes come from their records, never spelled here.
 */
import { bitmap } from '../tracking/bitmap.ts';
import { ring } from '../tracking/ring.ts';
import type { MigrationComparisonSpec, MigrationScenario } from './migration-comparison.ts';

export interface NamedMigrationComparison {
  readonly name: string;
  readonly summary: string;
  scenarios(quick: boolean): MigrationScenario[];
  readonly trials?: { readonly full: number; readonly quick: number };
}

/** A guest dirtying far faster than the link: none of the rounds fits the budget on its own. */
const FLOODING = { strategy: ring.name, memory: '64MiB', vcpus: 2, pattern: 'random', writeRate: 50_000 } as const;

export const MIGRATION_COMPARISONS: readonly NamedMigrationComparison[] = [
  {
    name: 'migration-bandwidth',
    summary: 'one ring guest (64 MiB, Zipf writes, 20 000 per second per vCPU) migrated at bandwidths from 32 MiB/s to 1 GiB/s: total time, rounds and downtime',
    scenarios: (quick) => (quick ? ['64MiB', '256MiB', '1GiB'] : ['32MiB', '64MiB', '128MiB', '256MiB', '512MiB', '1GiB']).map((bandwidth) => ({
      name: `${bandwidth}/s`, group: 'ring, 64 MiB, Zipf writes',
      vm: { strategy: ring.name, memory: '64MiB', vcpus: 2, pattern: 'zipf', writeRate: 20_000 },
      migration: { bandwidth },
    })),
  },
  {
    name: 'migration-strategies',
    summary: "ring against bitmap on the same random-writing guest as the dirty rate rises, at 1 GiB/s: where Peter Xu's total-time result (ring 73 s, bitmap 55 s under heavy dirtying) shows up",
    scenarios: (quick) => {
      const memory = quick ? '64MiB' : '256MiB';
      return (quick ? [2_000, 20_000] : [1_000, 5_000, 10_000, 20_000, 40_000]).flatMap((writeRate) => [ring, bitmap].map((m) => ({
        name: m.name, group: `random writes, ${writeRate.toLocaleString('en-US')} per second per vCPU, ${memory}`,
        vm: { strategy: m.name, memory, vcpus: 2, pattern: 'random' as const, writeRate },
        migration: { bandwidth: '1GiB' },
      })));
    },
  },
  {
    name: 'migration-convergence',
    summary: 'a ring guest dirtying far faster than a 128 MiB/s link (64 MiB, random writes, 50 000 per second per vCPU): nothing, auto-converge, and the dirty limit',
    // The dirty limit holds a vCPU on ring-full exits, and each 100 ms period ends with a reap
    // of every ring: at this pace a 1024-entry ring fills within a period, a 4096-entry one not.
    scenarios: (quick) => [
      { name: 'nothing', group: 'random writes flooding a 128 MiB/s link', vm: FLOODING, migration: { bandwidth: '128MiB', maxRounds: quick ? 5 : 15 } },
      { name: 'auto-converge', group: 'random writes flooding a 128 MiB/s link', vm: FLOODING, migration: { bandwidth: '128MiB', autoConverge: true } },
      { name: 'dirty-limit', group: 'random writes flooding a 128 MiB/s link', vm: { ...FLOODING, ringEntries: 1024, dirtyLimit: 256, dirtyLimitPeriodMs: 100 }, migration: { bandwidth: '128MiB' } },
    ],
  },
];

export const MIGRATION_COMPARISON_NAMES = MIGRATION_COMPARISONS.map((c) => c.name);

export function namedMigrationComparison(name: string): NamedMigrationComparison | undefined {
  return MIGRATION_COMPARISONS.find((c) => c.name === name);
}

export function migrationComparisonSpec(c: NamedMigrationComparison, quick: boolean, trials?: number): MigrationComparisonSpec {
  return { name: c.name, summary: c.summary, scenarios: c.scenarios(quick), trials: trials ?? (quick ? (c.trials?.quick ?? 1) : (c.trials?.full ?? 3)) };
}
