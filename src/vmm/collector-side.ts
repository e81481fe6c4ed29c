/**
 * What the collector works on: the model's arena alone, or, on the kvm backend, the real VM
 * beside it: its rings, bitmaps and memory through kvmCollectContext, its guests' stop words
 * for kicks, and their own records of completed writes for the verifier.
 */
import type { Arena } from '../kvm/arena.ts';
import { ringBatchReady } from '../kvm/dirty-ring.ts';
import { ABI } from '../layout.ts';
import { Control } from '../threads/control.ts';
import type { CollectorWorkerData } from '../threads/protocol.ts';
import { collectContext, kvmCollectContext, type CollectContext, type VerbTimes } from '../tracking/index.ts';
import type { GuestTruth } from './ground-truth.ts';

export interface CollectorSide {
  readonly ctx: CollectContext;
  readonly control: Control;
  /** The kvm backend's guests, recording their own completed writes (verify). */
  readonly guestTruth: GuestTruth | undefined;
  /**
   * vCPU `vcpu`'s ring holds at least `batch` entries to reap: the batch's last entry is DIRTY
   * (QEMU's dirty_gfn_is_dirtied; flags), or avail_index is that far past fetch_index (shared
   * indices, the model only: the kernel speaks flags).
   */
  batchReady(vcpu: number, batch: number): boolean;
  /** Give back what this thread mapped. */
  close(): void;
}

export async function collectorSide(arena: Arena, data: CollectorWorkerData, ringVcpus: readonly number[], times: VerbTimes): Promise<CollectorSide> {
  const mirror = data.mirror ? { mirror: new Uint8Array(data.mirror) } : {};
  const options = { vcpus: ringVcpus, slots: data.slots, clearChunkPages: data.clearChunkPages, times, ...mirror };
  if (!data.kvm) {
    return {
      ctx: collectContext(arena, { ...options, resetCostNs: data.resetCostNs }),
      control: new Control(arena),
      guestTruth: undefined,
      batchReady: (vcpu, batch) => ringBatchReady(arena, vcpu, batch),
      close: () => {},
    };
  }
  // The kvm backend's modules load only in a kvm run: a model run's collector starts without them.
  const [{ loadLibc }, { KvmVm }, { GuestRun }] = await Promise.all([
    import('../backend/kvm/libc.ts'), import('../backend/kvm/kvm-vm.ts'), import('../backend/kvm/guest-run.ts'),
  ]);
  const libc = await loadLibc();
  const kvm = new KvmVm(libc, data.kvm.vm);
  const guest = new GuestRun(libc, data.kvm.vm, data.kvm.guest);
  const memory = guest.contents();
  const stamps = new Uint32Array(memory.buffer, memory.byteOffset, memory.byteLength / 4);
  return {
    ctx: kvmCollectContext(arena, kvm, new Map([[guest.spec.slot, memory]]), options),
    control: new Control(arena, guest),
    guestTruth: {
      record: (on) => guest.recordTruth(on),
      gather: (at) => guest.gatherTruth(arena.u32, at >>> 2),
      stamp: (page) => stamps[page * (ABI.PAGE_SIZE / 4)]!,
    },
    batchReady: (vcpu, batch) => kvm.dirtyGfnIsDirtied(vcpu, batch - 1),
    close: () => kvm.close(),
  };
}
