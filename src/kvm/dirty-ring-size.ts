/**
 * KVM_ENABLE_CAP(KVM_CAP_DIRTY_LOG_RING) sizing rules (kvm_vm_ioctl_enable_dirty_log_ring).
 * dirtylog takes the size in entries, as QEMU's dirty-ring-size does; KVM's argument is bytes.
 * A size KVM refuses is a KvmError with KVM's errno (EINVAL, or E2BIG above the maximum).
 */
import { ABI, DIRTY_RING_MAX_ENTRIES, DIRTY_RING_RSVD_ENTRIES, PML_LOG_NR_ENTRIES } from '../layout.ts';
import { KvmError } from '../backend/errors.ts';
import { describe } from '../validate.ts';

export interface DirtyRingSize {
  readonly entries: number;
  readonly bytes: number;
  /** KVM_DIRTY_RING_RSVD_ENTRIES + the PML buffer when PML is on. */
  readonly reserved: number;
  /** Occupancy at which the vCPU must exit with KVM_EXIT_DIRTY_RING_FULL. */
  readonly softLimit: number;
  readonly pml: boolean;
}

/** Smallest legal ring: bytes >= max(PAGE_SIZE, reserved * 16), rounded up to a power of two. */
export function minRingEntries(pml: boolean): number {
  const reserved = DIRTY_RING_RSVD_ENTRIES + (pml ? PML_LOG_NR_ENTRIES : 0);
  const min = Math.max(ABI.PAGE_SIZE / ABI.GFN_SIZE, reserved);
  return 2 ** Math.ceil(Math.log2(min));
}

export function dirtyRingSize(entries: unknown, pml: boolean): DirtyRingSize {
  const min = minRingEntries(pml);
  const pmlNote = pml ? ' with PML on (64 + 512 reserved entries)' : '';
  if (typeof entries !== 'number' || !Number.isInteger(entries)) {
    throw new TypeError(`dirtyRing.entries must be an integer number of entries, got ${describe(entries)}: try 4096`);
  }
  // KVM's order (kvm_vm_ioctl_enable_dirty_log_ring): a power of two, at least the minimum, at most the maximum.
  if (entries <= 0 || (entries & (entries - 1)) !== 0 || entries > 2 ** 30) {
    const up = entries > 0 ? 2 ** Math.ceil(Math.log2(entries)) : min;
    throw new KvmError('EINVAL', `dirtyRing.entries must be a power of two, got ${entries}: try ${Math.min(DIRTY_RING_MAX_ENTRIES, Math.max(up, min))}`);
  }
  if (entries < min) {
    throw new KvmError('EINVAL', `dirtyRing.entries must be at least ${min}${pmlNote}, got ${entries}: use ${min} or more`);
  }
  if (entries > DIRTY_RING_MAX_ENTRIES) {
    const bytesHint = entries % ABI.GFN_SIZE === 0 && entries / ABI.GFN_SIZE <= DIRTY_RING_MAX_ENTRIES
      ? ` (if ${entries} is KVM's size in bytes, that is ${entries / ABI.GFN_SIZE} entries)` : '';
    throw new KvmError('E2BIG', `dirtyRing.entries must be at most ${DIRTY_RING_MAX_ENTRIES} (KVM_DIRTY_RING_MAX_ENTRIES), got ${entries}${bytesHint}`);
  }
  const reserved = DIRTY_RING_RSVD_ENTRIES + (pml ? PML_LOG_NR_ENTRIES : 0);
  return { entries, bytes: entries * ABI.GFN_SIZE, reserved, softLimit: entries - reserved, pml };
}
