/**
 * Busy time: a thread spends what a kernel operation would cost it (a run's faultCostNs and
 * resetCostNs, calibrated by `dirtylog bench kvm --calibrate`). A spin, not a sleep: a fault or
 * a reset occupies the CPU that takes it, and a run's threads share this machine's cores as a
 * VM's vCPUs and VMM share a host's.
 */
export function spend(ns: number): void {
  if (!(ns > 0)) return;
  const until = performance.now() + ns / 1e6;
  while (performance.now() < until);
}
