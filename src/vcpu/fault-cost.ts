/**
 * A calibrated fault cost (run option faultCostNs): the model's vCPU spends that long per page
 * it logs, on top of the engine's own nanoseconds, as a vCPU on KVM spends microseconds in each
 * write fault. The time is spent after each slice, for the pages the slice logged (ring pushes
 * and bitmap marks), and slices are cut so that what one slice spends stays near SLICE_BUDGET:
 * a vCPU still answers kicks and pauses within about that long, as one on KVM answers within a
 * fault. With no cost the slice is returned as it is: the hot path does not change.
 */
import type { VcpuCtl } from '../layout-fields.generated.ts';
import { ABI } from '../layout.ts';
import { spend } from '../threads/busy.ts';
import type { Slice } from './inject.ts';

/** Nanoseconds of fault cost one slice may spend, by the last slice's share of logged writes. */
const SLICE_BUDGET_NS = 100_000;
const WRITES_MASK = (1 << ABI.SLICE_SHIFT) - 1;

export function withFaultCost(slice: Slice, me: VcpuCtl, costNs: number): Slice {
  if (!(costNs > 0)) return slice;
  let loggedPerWrite = 1; // until a slice says otherwise, every write may log
  return (max) => {
    const cap = Math.max(1, Math.floor(SLICE_BUDGET_NS / (costNs * Math.max(loggedPerWrite, 1e-3))));
    const before = me.pushes + me.bitmapMarks;
    const r = slice(Math.min(max, cap));
    const logged = me.pushes + me.bitmapMarks - before;
    const written = r & WRITES_MASK;
    if (written > 0) loggedPerWrite = logged / written;
    spend(logged * costNs);
    return r;
  };
}
