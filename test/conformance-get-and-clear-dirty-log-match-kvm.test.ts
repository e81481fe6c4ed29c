/**
 * Conformance, dirty bitmaps: KVM_GET_DIRTY_LOG and KVM_CLEAR_DIRTY_LOG with and without
 * manual protect and INITIALLY_SET report the same pages on real KVM and on both engines.
 */
import { expect, it } from 'vitest';
import { pagesOf, type Vm } from '../src/index.ts';
import { describeOnKvm, observe } from './support/conformance.ts';

const write = (vm: Vm, pages: number[]) => pages.forEach((p) => vm.vcpus[0]!.write(vm.slot(0), p));
const get = (vm: Vm) => pagesOf(vm.slot(0).getDirtyLog().bitmap);
const bits = (pages: number[]) => {
  const b = new Uint8Array(24);
  for (const p of pages) b[p >> 3]! |= 1 << (p & 7);
  return b;
};

describeOnKvm('conformance: dirty bitmaps on real KVM and the model', () => {
  it('classic GET reports and re-arms: a second GET is empty, a rewrite shows again', async () => {
    const seen = await observe({ slots: [{ pages: 130 }], vcpus: 1 }, (vm) => {
      write(vm, [3, 64, 129]);
      const first = get(vm);
      const second = get(vm);
      write(vm, [64, 100]);
      return { first, second, third: get(vm) };
    });
    expect(seen.kvm).toEqual({ first: [3, 64, 129], second: [], third: [64, 100] });
    expect(seen.wasm).toEqual(seen.kvm);
    expect(seen.js).toEqual(seen.kvm);
  });

  it('manual protect: GET copies; CLEAR re-arms only what it names and was dirty', async () => {
    const seen = await observe({ manualProtect: true, slots: [{ pages: 130 }], vcpus: 1 }, (vm) => {
      write(vm, [3, 64, 129]);
      const first = get(vm);
      const second = get(vm);
      const cleared = vm.slot(0).clearDirtyLog(0, 130, bits([3, 129, 7]));
      const after = get(vm);
      write(vm, [3, 64, 129]);
      return { first, second, cleared, after, rewritten: get(vm) };
    });
    expect(seen.kvm).toEqual({ first: [3, 64, 129], second: [3, 64, 129], cleared: 2, after: [64], rewritten: [3, 64, 129] });
    expect(seen.wasm).toEqual(seen.kvm);
    expect(seen.js).toEqual(seen.kvm);
  });

  it('INITIALLY_SET: the first GET reports every page; after CLEAR only rewrites show', async () => {
    const seen = await observe({ manualProtect: { initiallySet: true }, slots: [{ pages: 130 }], vcpus: 1 }, (vm) => {
      const first = get(vm).length;
      write(vm, [5]); // not protected yet: nothing new to log
      vm.slot(0).clearDirtyLog(0, 130, new Uint8Array(24).fill(0xff));
      const afterClear = get(vm);
      write(vm, [5, 70]);
      return { first, afterClear, rewritten: get(vm) };
    });
    expect(seen.kvm).toEqual({ first: 130, afterClear: [], rewritten: [5, 70] });
    expect(seen.wasm).toEqual(seen.kvm);
    expect(seen.js).toEqual(seen.kvm);
  });

  it('CLEAR works without manual protect too', async () => {
    const seen = await observe({ slots: [{ pages: 130 }], vcpus: 1 }, (vm) => {
      write(vm, [3, 64]);
      vm.slot(0).clearDirtyLog(0, 64, bits([3]));
      return get(vm);
    });
    expect(seen.kvm).toEqual([64]);
    expect(seen.wasm).toEqual(seen.kvm);
    expect(seen.js).toEqual(seen.kvm);
  });
});
