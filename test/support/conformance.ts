/**
 * The conformance suite's harness: one scenario, run on real KVM (`backend: 'kvm'`) and on the
 * model with both engines, and the observations compared. Where /dev/kvm cannot be used the
 * suite is one skipped describe whose title says why; where it can (this kind of machine, CI
 * included) it always runs.
 */
import { describe } from 'vitest';
import { createVm, kvmDeviceProblem, type CreateVmOptions, type Vm } from '../../src/index.ts';
import { scribble } from './engines.ts';

export { scribble };

export const BACKENDS = [
  { name: 'kvm', options: { backend: 'kvm' } },
  { name: 'wasm', options: { engine: 'wasm' } },
  { name: 'js', options: { engine: 'js' } },
] as const satisfies readonly { name: string; options: CreateVmOptions }[];

const problem = kvmDeviceProblem();

/** describe() on a machine with a usable /dev/kvm, else one skipped suite that says why. */
export function describeOnKvm(title: string, body: () => void): void {
  if (problem) describe.skip(`${title} (skipped: ${problem.message})`, body);
  else describe(title, body);
}

/** Run `scenario` on every backend; returns the observations by backend name. */
export async function observe<T>(options: CreateVmOptions, scenario: (vm: Vm) => T): Promise<Record<'kvm' | 'wasm' | 'js', T>> {
  const out: Partial<Record<'kvm' | 'wasm' | 'js', T>> = {};
  for (const b of BACKENDS) out[b.name] = scenario(await createVm({ ...options, ...b.options }));
  return out as Record<'kvm' | 'wasm' | 'js', T>;
}

/** The errno a call was refused with, or 'accepted'. */
export function errnoOf(call: () => unknown): string {
  try {
    call();
    return 'accepted';
  } catch (err) {
    if (err instanceof Error && 'code' in err) return String(err.code);
    throw err;
  }
}

/** Pages of a slot that the next write logs: writes each once and harvests (ring mode). */
export function armedByWriting(vm: Vm, slot: number, pages: readonly number[]): number[] {
  const cpu = vm.vcpus[0]!;
  for (const p of pages) cpu.write(vm.slot(slot), p);
  return cpu.ring!.harvest().map((e) => Number(e.offset));
}
