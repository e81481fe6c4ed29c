/**
 * libc's open, ioctl and mmap, reached through koffi (an optional dependency). Every pointer
 * is a plain number (an address), so another thread can rebuild its views from the same
 * numbers: descriptors and mappings belong to the process, not to the thread.
 */
import { constants as os } from 'node:os';
import { KvmError, type Errno } from '../errors.ts';

export interface Libc {
  open(path: string, flags: number): number;
  /** ioctl with an integer argument, or the address of an argument struct. Returns >= 0 or throws KvmError. */
  ioctl(fd: number, request: number, arg: number, verb: string): number;
  /** An anonymous shared mapping (MAP_NORESERVE: only touched pages cost memory); its address. */
  mapAnonymous(bytes: number): number;
  /** mmap of a descriptor (the vCPU's kvm_run, its ring); its address. */
  mapFd(fd: number, bytes: number, offset: number): number;
  /** The bytes at an address, as an ArrayBuffer over that memory (no copy). */
  view(address: number, bytes: number): ArrayBuffer;
  /** munmap: every view of that memory is dead afterwards (reading one would crash the process). */
  unmap(address: number, bytes: number): void;
  close(fd: number): void;
}

const O_RDWR = 2;
const O_CLOEXEC = 0o2000000;
const PROT_RW = 3;
const MAP_SHARED = 1;
const MAP_ANONYMOUS = 0x20;
const MAP_NORESERVE = 0x4000;
const EINTR = 4;

export const OPEN_FLAGS = O_RDWR | O_CLOEXEC;

const ERRNO_NAMES = new Map<number, string>(Object.entries(os.errno).map(([name, n]) => [n, name]));

/** The errno number as KVM's name for it ('EINVAL'), for KvmError's code. */
export function errnoName(n: number): Errno {
  return (ERRNO_NAMES.get(n) ?? `E${n}`) as Errno;
}

let loaded: Promise<Libc> | undefined;

/** Load koffi and bind libc once per thread; rejects with koffi's own error when it cannot load. */
export function loadLibc(): Promise<Libc> {
  loaded ??= import('koffi').then((m) => bind(m.default));
  return loaded;
}

function bind(koffi: typeof import('koffi').default): Libc {
  const lib = koffi.load('libc.so.6');
  const open = lib.func('int open(const char *path, int flags)');
  const ioctl = lib.func('int ioctl(int fd, unsigned long request, uintptr_t arg)');
  const mmap = lib.func('uintptr_t mmap(uintptr_t addr, size_t length, int prot, int flags, int fd, int64_t offset)');
  const munmap = lib.func('int munmap(uintptr_t addr, size_t length)');
  const close = lib.func('int close(int fd)');
  const mapped = (address: number | bigint, what: string): number => {
    const a = Number(address);
    if (a < 0 || a >= 2 ** 63) throw new Error(`mmap of ${what} failed: ${errnoName(koffi.errno())}`);
    return a;
  };
  return {
    open: (path, flags) => open(path, flags) as number,
    ioctl(fd, request, arg, verb) {
      for (;;) {
        const r = ioctl(fd, request, arg) as number;
        if (r >= 0) return r;
        const e = koffi.errno();
        if (e === EINTR) continue; // a signal interrupted KVM_RUN before the guest ran: enter again
        throw new KvmError(errnoName(e), `${verb}: KVM refused it`);
      }
    },
    mapAnonymous: (bytes) => mapped(mmap(0, bytes, PROT_RW, MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0) as number, `${bytes} anonymous bytes`),
    mapFd: (fd, bytes, offset) => mapped(mmap(0, bytes, PROT_RW, MAP_SHARED, fd, offset) as number, `descriptor ${fd} at ${offset}`),
    view: (address, bytes) => koffi.view(address, bytes),
    unmap(address, bytes) {
      if ((munmap(address, bytes) as number) !== 0) throw new Error(`munmap of ${bytes} bytes failed: ${errnoName(koffi.errno())}`);
    },
    close(fd) {
      // Linux closes the descriptor even when close reports EINTR: never retry.
      if ((close(fd) as number) !== 0 && koffi.errno() !== EINTR) throw new Error(`close(${fd}) failed: ${errnoName(koffi.errno())}`);
    },
  };
}
