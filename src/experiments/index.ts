/** Experiments: sweeps (ring size x cache, guest size) and named comparisons, as library functions returning plain data. */
export { sweepRing, ringSweepGrid, workloadLabel, type RingSweepOptions, type RingSweepResult, type RingWorkload, type RingWorkloadResult, type RingPoint, type RingAnalysis, type CacheCrossing, type CacheEffect } from './ring-sweep.ts';
export { sweepGuest, guestSweepGrid, splitIntoSlots, guestLabel, SLOT_MAX_PAGES, type GuestSweepOptions, type GuestSweepResult, type GuestPoint, type Crossover, type DensityCrossover, type RegimeAnalysis, type Regime } from './guest-sweep.ts';
export { runComparison, DEFAULT_GROUP, type ComparisonScenario, type ComparisonSpec, type ComparisonResult, type ScenarioResult, type GroupVerdict, type GroupJudge, type GroupFigure, type Judgement } from './comparison.ts';
export { COMPARISONS, COMPARISON_NAMES, namedComparison, comparisonSpec, type NamedComparison } from './comparisons.ts';
export { calcDirtyRate, modeErrors, dirtyRateRunOptions, MIN_CALC_TIME_MS, MAX_CALC_TIME_MS, type DirtyRateOptions, type DirtyRateResult, type DirtyRateListener, type ModeError } from './dirty-rate.ts';
export { limitConvergence, type LimitConvergence, type VcpuConvergence, type ConvergenceOptions } from './dirty-limit.ts';
export { parseScenariosFile } from './scenarios-file.ts';
export { METRICS, metricInfo, runMetrics, type RunMetrics, type MetricKey, type MetricInfo } from './metrics.ts';
export { dataCaches, ringBytes, crossingEntries, type CacheLevel } from './cache.ts';
export { fitPowerLaw, crossing, evaluate, type PowerLaw } from './fit.ts';
export { findKnee, bestIndex, type KneeFinding } from './knee.ts';
export type { Progress, ProgressListener } from './progress.ts';
export type { PointOutcome, TrialOutcome } from './trials.ts';
export { runMigrationComparison, type MigrationComparisonSpec, type MigrationComparisonResult, type MigrationScenario, type MigrationScenarioResult, type MigrationTrial, type MigrationVerdict } from './migration-comparison.ts';
export { MIGRATION_COMPARISONS, MIGRATION_COMPARISON_NAMES, namedMigrationComparison, migrationComparisonSpec, type NamedMigrationComparison } from './migration-comparisons.ts';
