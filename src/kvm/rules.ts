/**
 * What KVM answers to each verb, as the model's rules: undefined when it accepts, else the
 * KvmError with KVM's errno and a message that names the option and the fix. The model
 * backend refuses with exactly this; the kvm backend asks the kernel and keeps this message
 * when the kernel's errno agrees. The checks follow the kernel's order (virt/kvm/kvm_main.c,
 * dirty_ring.c), so the first rule that fails gives the errno KVM gives.
 */
import type { Arch, SlotSpec } from '../backend/backend.ts';
import { KvmError } from '../backend/errors.ts';
import { KVM_MEM_MAX_NR_PAGES, KVM_USER_MEM_SLOTS } from '../layout.ts';
import { dirtyRingSize } from './dirty-ring-size.ts';

export { KvmError } from '../backend/errors.ts';
export { KVM_USER_MEM_SLOTS } from '../layout.ts';

export interface VmState {
  readonly arch: Arch;
  readonly ring: boolean;
  readonly vcpus: number;
  readonly slots: number;
}

/** A thrown KvmError as the answer; anything else (a TypeError for a bad type) goes on up. */
function answer(check: () => void): KvmError | undefined {
  try {
    check();
    return undefined;
  } catch (err) {
    if (err instanceof KvmError) return err;
    throw err;
  }
}

/** kvm_vm_ioctl_enable_dirty_log_ring: size rules first, then once, then before any vCPU. */
export function enableDirtyRing(s: VmState, entries: unknown, pml: boolean): KvmError | undefined {
  return answer(() => {
    dirtyRingSize(entries, pml);
    if (s.ring) throw new KvmError('EINVAL', 'enableDirtyRing: the dirty ring is already enabled; enable it once');
    if (s.vcpus) throw new KvmError('EINVAL', "enableDirtyRing: the VM already has vCPUs: enable the dirty ring before creating vCPUs, as KVM requires");
  });
}

/** KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP: arm64 only, after the ring, before any memslot. */
export function enableDirtyRingWithBitmap(s: VmState): KvmError | undefined {
  if (s.arch !== 'arm64') {
    return new KvmError('EINVAL', "enableDirtyRingWithBitmap: KVM_CAP_DIRTY_LOG_RING_WITH_BITMAP exists only on arm64: use createVm({ arch: 'arm64' }) (the model), or collect vCPU-less writes another way on x86");
  }
  if (!s.ring) return new KvmError('EINVAL', 'enableDirtyRingWithBitmap: the dirty ring is off: call enableDirtyRing first');
  if (s.slots) return new KvmError('EINVAL', 'enableDirtyRingWithBitmap: memslots already exist: enable it before setUserMemoryRegion, as KVM requires');
  return undefined;
}

/** kvm_vm_ioctl_set_memory_region and kvm_set_memory_region, for a slot in address space 0. */
export function setUserMemoryRegion(r: SlotSpec, old: { readonly pages: number } | undefined): KvmError | undefined {
  if (r.slot >= KVM_USER_MEM_SLOTS) {
    return new KvmError('EINVAL', `setUserMemoryRegion: region.slot must be below ${KVM_USER_MEM_SLOTS} (KVM_USER_MEM_SLOTS), got ${r.slot}: use a lower slot id`);
  }
  if (r.pages > KVM_MEM_MAX_NR_PAGES) {
    return new KvmError('EINVAL', `region.pages must be between 1 and ${KVM_MEM_MAX_NR_PAGES}, got ${r.pages}: split larger guests into several slots, as KVM does (KVM_MEM_MAX_NR_PAGES)`);
  }
  if (r.pages === 0 && !old) {
    return new KvmError('EINVAL', `region.pages must be between 1 and ${KVM_MEM_MAX_NR_PAGES}, got 0: 0 pages deletes a memslot, and slot ${r.slot} does not exist`);
  }
  if (old && r.pages !== 0 && r.pages !== old.pages) {
    return new KvmError('EINVAL', `setUserMemoryRegion: slot ${r.slot} already exists with ${old.pages} pages, got ${r.pages}: keep its size (only its flags may change) or use another region.slot`);
  }
  return undefined;
}

export function resetDirtyRings(s: VmState): KvmError | undefined {
  return s.ring ? undefined : new KvmError('EINVAL', 'resetDirtyRings: the dirty ring is not enabled: call enableDirtyRing first');
}

export interface SlotState {
  readonly id: number;
  readonly pages: number;
  readonly logging: boolean;
  /** The VM has dirty bitmaps: no ring, or the ring's backup bitmap. */
  readonly bitmaps: boolean;
}

/** kvm_get_dirty_log_protect: ENXIO without bitmaps, ENOENT without logging. */
export function getDirtyLog(s: SlotState): KvmError | undefined {
  if (!s.bitmaps) return noBitmap('getDirtyLog', s.id);
  return s.logging ? undefined : notLogging('getDirtyLog', s.id);
}

/** kvm_clear_dirty_log_protect: ENXIO, then first_page alignment, then ENOENT, then the range. */
export function clearDirtyLog(s: SlotState, first: number, num: number): KvmError | undefined {
  if (!s.bitmaps) return noBitmap('clearDirtyLog', s.id);
  if (first % 64 !== 0) return new KvmError('EINVAL', `clearDirtyLog: firstPage (${first}) must be a multiple of 64: use ${first - (first % 64)}`);
  if (!s.logging) return notLogging('clearDirtyLog', s.id);
  if (first > s.pages || num > s.pages - first) {
    return new KvmError('EINVAL', `clearDirtyLog: firstPage + numPages (${first + num}) runs past the slot's ${s.pages} pages: shorten numPages to ${Math.max(0, s.pages - first)}`);
  }
  if (num < s.pages - first && num % 64 !== 0) {
    return new KvmError('EINVAL', `clearDirtyLog: numPages (${num}) must be a multiple of 64 unless the range reaches the slot end (${s.pages}): use ${num - (num % 64)} or ${s.pages - first}`);
  }
  return undefined;
}

const noBitmap = (verb: string, id: number) =>
  new KvmError('ENXIO', `${verb}: slot ${id} has no dirty bitmap in ring mode: enable ringWithBitmap, or harvest the rings`);
const notLogging = (verb: string, id: number) =>
  new KvmError('ENOENT', `${verb}: dirty logging is off for slot ${id}: call enableDirtyLogging() first`);
