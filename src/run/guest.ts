/**
 * The guest of a run: a VM with the tracking mode's capabilities, one slot (with page contents
 * when the run keeps them), the vCPUs (and the device writer) and their workloads. A round-based
 * run and an embedded running VM build it the same way.
 */
import { createVm, type Vm } from '../kvm/vm.ts';
import type { TrackingMode } from '../tracking/index.ts';
import { configureWorkload, zipfCdf } from '../vcpu/workload.ts';
import type { ResolvedRunOptions } from './options.ts';

/**
 * The VM for the run: the mode's capabilities, one slot, the vCPUs and device writer, their
 * workloads. On the kvm backend it is the VMM's side only (control words, counters, the
 * collected and the verifier's bitmaps, the workloads' first state): the kernel's half of
 * its arena (rings, write protection, page contents) is never used.
 */
export async function guestVm(o: ResolvedRunOptions, mode: TrackingMode): Promise<Vm> {
  const zipfRanks = o.pattern === 'zipf' ? o.hotPages : 0;
  const vm = await createVm({
    engine: o.engine,
    maxVcpus: o.vcpus + (o.deviceWriter ? 1 : 0),
    ...mode.vmOptions({ ringEntries: o.ringEntries, pml: o.pml }),
    ...(o.ringProtocol ? { ringProtocol: o.ringProtocol } : {}),
    pml: o.pml,
    slots: [{ pages: o.pages, contents: o.contents }],
    zipfRanks,
    scratchBytes: 0,
  });
  const writers = [...Array.from({ length: o.vcpus }, () => vm.createVcpu()), ...(o.deviceWriter ? [vm.createDevice()] : [])];
  const { arena } = vm;
  if (zipfRanks) arena.u32.set(zipfCdf(zipfRanks, o.zipfExponent), arena.plan.zipf >>> 2);
  const slot = vm.slot(0);
  const share = Math.floor(o.pages / o.vcpus);
  writers.forEach((w, i) => {
    // memstress gives each vCPU its own region (dirty_log_perf_test); the others share the slot.
    const region = o.pattern === 'memstress' && i < o.vcpus ? { start: i * share, pages: share } : { start: 0, pages: o.pages };
    configureWorkload(arena.vcpus[w.id]!, slot.desc, region, o, { table: arena.plan.zipf, ranks: zipfRanks }, i, writers.length);
  });
  return vm;
}
