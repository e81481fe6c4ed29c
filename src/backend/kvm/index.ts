/**
 * Opening the kvm backend: koffi must load and /dev/kvm must be there and readable and
 * writable, or the backend is unavailable with an error that says which. Nothing here runs
 * unless someone asks for `backend: 'kvm'`, so the rest of dirtylog works without either.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import type { Arch } from '../backend.ts';
import { KvmVm } from './kvm-vm.ts';
import { loadLibc, OPEN_FLAGS, type Libc } from './libc.ts';

export { KvmVm, type KvmVmHandle } from './kvm-vm.ts';
export { loadLibc } from './libc.ts';

export const KVM_DEVICE = '/dev/kvm';

export type KvmUnavailableReason = 'koffi' | 'no-device' | 'no-access' | 'arch';

/** The kvm backend cannot run here; `reason` says which requirement failed. */
export class KvmUnavailableError extends Error {
  override name = 'KvmUnavailableError';
  constructor(readonly reason: KvmUnavailableReason, message: string, options?: ErrorOptions) {
    super(message, options);
  }
}

/** Why the kvm backend cannot run on this machine, or undefined when it can (koffi not loaded yet). */
export function kvmDeviceProblem(): KvmUnavailableError | undefined {
  if (process.arch !== 'x64') {
    return new KvmUnavailableError('arch', `the kvm backend is unavailable: it drives x86-64 KVM, and this is ${process.arch}: use backend 'model'`);
  }
  if (!existsSync(KVM_DEVICE)) {
    return new KvmUnavailableError('no-device', `the kvm backend is unavailable: ${KVM_DEVICE} does not exist (no KVM on this machine, or not passed to this container): use backend 'model'`);
  }
  try {
    accessSync(KVM_DEVICE, constants.R_OK | constants.W_OK);
  } catch (err) {
    return new KvmUnavailableError('no-access', `the kvm backend is unavailable: ${KVM_DEVICE} is not readable and writable by this user: add it to the kvm group, or use backend 'model'`, { cause: err });
  }
  return undefined;
}

/** koffi bound to libc, or the reason it could not load. */
export async function kvmLibc(): Promise<Libc> {
  const problem = kvmDeviceProblem();
  if (problem) throw problem;
  try {
    return await loadLibc();
  } catch (err) {
    const why = err instanceof Error ? err.message.split('\n')[0] : String(err);
    throw new KvmUnavailableError('koffi', `the kvm backend is unavailable: koffi (an optional dependency) could not be loaded (${why}): run npm install koffi, or use backend 'model'`, { cause: err });
  }
}

/** A new VM on /dev/kvm. */
export async function openKvmBackend(options: { readonly arch: Arch }): Promise<KvmVm> {
  if (options.arch !== 'x86') {
    throw new RangeError(`options.arch must be 'x86' with backend 'kvm' (this host's KVM is x86-64), got '${options.arch}': use backend 'model' to model arm64`);
  }
  const libc = await kvmLibc();
  const kvmFd = libc.open(KVM_DEVICE, OPEN_FLAGS);
  if (kvmFd < 0) throw new KvmUnavailableError('no-access', `the kvm backend is unavailable: open(${KVM_DEVICE}) failed: use backend 'model'`);
  return KvmVm.create(libc, kvmFd);
}
