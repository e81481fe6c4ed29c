/** The tracking modes, by name: the one place a mode is looked up. */
import { requireOneOf } from '../validate.ts';
import { bitmap } from './bitmap.ts';
import { clearLog } from './clear-log.ts';
import type { ModeName, TrackingMode } from './mode.ts';
import { ringWithBitmap } from './ring-with-bitmap.ts';
import { ring } from './ring.ts';

export type { CollectStats, ModeName, ModeVmOptions, TrackingMode, VerifyRules } from './mode.ts';
export { collectContext, forEachSetBit, reapStepwise, type CollectContext, type CollectVerbs, type VerbTimes } from './context.ts';
export { kvmCollectContext } from './kvm-context.ts';
export { BROKEN_COLLECTORS, breakMode, type BrokenCollector } from './broken.ts';

/** Every mode, in the order reports list them. */
export const MODES: readonly TrackingMode[] = [ring, bitmap, clearLog, ringWithBitmap];

export const MODE_NAMES: readonly ModeName[] = MODES.map((m) => m.name);

/** The public names: a run's `strategy` is a tracking mode's name. */
export const STRATEGIES = MODE_NAMES;
export type Strategy = ModeName;

/** The mode called `name`; a TypeError naming the choices otherwise. */
export function trackingMode(name: unknown, option = 'strategy'): TrackingMode {
  const n = requireOneOf(option, name, MODE_NAMES);
  return MODES.find((m) => m.name === n)!;
}
