/**
 * Errors KVM reports with an errno. A `KvmError` is a RangeError (the call was refused for
 * the state or the arguments it got) whose `code` is the errno KVM returns for the same
 * call, so a caller can branch on `err.code === 'ENXIO'` on every backend. The message
 * names the verb, the option and the fix, as every other error of the library does.
 */
export type Errno = 'EINVAL' | 'ENXIO' | 'ENOENT' | 'EEXIST' | 'E2BIG' | 'EBUSY' | 'EPERM' | 'ENOSPC' | 'EFAULT' | 'ENOMEM' | 'EBADF' | 'ENOTTY' | 'EIO';

export class KvmError extends RangeError {
  override name = 'KvmError';
  constructor(readonly code: Errno, message: string) {
    super(`${message} (KVM: -${code})`);
  }
}

/**
 * The model refuses something KVM accepts, on purpose (the README's table of deviations
 * says why). Only the model backend throws it; the kvm backend does what the kernel does.
 */
export class ModelDeviation extends RangeError {
  override name = 'RangeError';
}
