/** KVM's uapi for x86-64 (include/uapi/linux/kvm.h, arch/x86/include/uapi/asm/kvm.h): ioctls, caps, exits, struct offsets. */

// _IO(0xAE, nr), _IOW/_IOR/_IOWR with the argument's size.
const io = (nr: number) => 0xae00 | nr;
const iow = (nr: number, size: number) => ((1 << 30) | (size << 16) | 0xae00 | nr) >>> 0;
const ior = (nr: number, size: number) => ((2 << 30) | (size << 16) | 0xae00 | nr) >>> 0;
const iowr = (nr: number, size: number) => ((3 << 30) | (size << 16) | 0xae00 | nr) >>> 0;

export const KVM = {
  GET_API_VERSION: io(0x00),
  CREATE_VM: io(0x01),
  CHECK_EXTENSION: io(0x03),
  GET_VCPU_MMAP_SIZE: io(0x04),
  CREATE_VCPU: io(0x41),
  GET_DIRTY_LOG: iow(0x42, 16),
  SET_USER_MEMORY_REGION: iow(0x46, 32),
  RUN: io(0x80),
  GET_REGS: ior(0x81, 144),
  SET_REGS: iow(0x82, 144),
  GET_SREGS: ior(0x83, 312),
  SET_SREGS: iow(0x84, 312),
  ENABLE_CAP: iow(0xa3, 104),
  CLEAR_DIRTY_LOG: iowr(0xc0, 24),
  RESET_DIRTY_RINGS: io(0xc7),
} as const;

export const CAP = {
  MANUAL_DIRTY_LOG_PROTECT2: 168,
  DIRTY_LOG_RING: 192,
  DIRTY_LOG_RING_WITH_BITMAP: 225,
} as const;

export const KVM_MEM_LOG_DIRTY_PAGES = 1;
export const KVM_DIRTY_LOG_MANUAL_PROTECT_ENABLE = 1;
export const KVM_DIRTY_LOG_INITIALLY_SET = 2;
/** The ring is mmapped from the vCPU fd at this page offset. */
export const KVM_DIRTY_LOG_PAGE_OFFSET = 64;

export const EXIT = { MMIO: 6, DIRTY_RING_FULL: 31 } as const;

/** struct kvm_run: exit_reason at 8; the mmio exit's phys_addr at 32. */
export const RUN_EXIT_REASON = 8;
export const RUN_MMIO_PHYS_ADDR = 32;

/** struct kvm_regs: 18 u64s; these indices. */
export const REG = { RCX: 2, RDX: 3, RSI: 4, RDI: 5, RIP: 16, RFLAGS: 17 } as const;

/** struct kvm_sregs: 8 segments of 24 bytes (cs, ds, es, fs, gs, ss, tr, ldt), then the control registers. */
export const SREGS = { SEGMENT: 24, CS: 0, DS: 1, ES: 2, FS: 3, GS: 4, SS: 5, CR0: 224, CR3: 240, CR4: 248, EFER: 264 } as const;
