/**
 * A program that makes many VMs on the kvm backend (a sweep makes one per trial) must not
 * keep their descriptors and mappings: vm.close() closes every descriptor (/dev/kvm, the VM,
 * each vCPU) and unmaps every mapping (memslots, the guest's slot, kvm_run, rings). Counted
 * from /proc/self: an open VM shows up there, a closed one is gone.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { expect, it } from 'vitest';
import { createVm, type CreateVmOptions } from '../src/index.ts';
import { describeOnKvm } from './support/conformance.ts';

/** KVM's descriptors (/dev/kvm, the VM, vCPUs), and its mappings with the backend's shared anonymous ones (V8 maps none of those). */
function held(): { fds: number; maps: number } {
  const fds = readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return /^\/dev\/kvm$|^anon_inode:kvm/.test(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      return false; // closed while we looked (the readdir's own descriptor)
    }
  }).length;
  const maps = readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => /anon_inode:kvm|\/dev\/zero/.test(l)).length;
  return { fds, maps };
}
const OPTIONS: CreateVmOptions[] = [
  { backend: 'kvm', dirtyRing: { entries: 1024 }, slots: [{ pages: 512 }, { pages: 64 }], vcpus: 2 },
  { backend: 'kvm', manualProtect: { initiallySet: true }, slots: [{ pages: 4096 }], vcpus: 1 },
];

describeOnKvm('vm.close() on the kvm backend', () => {
  it.each(OPTIONS)('an open VM holds descriptors and mappings; closing it gives every one back ($dirtyRing, $manualProtect)', async (options) => {
    const vm = await createVm(options);
    vm.vcpus[0]!.write(vm.slot(0), 1);
    vm.close(); // warm-up: koffi and libc are loaded once and stay
    const before = held();
    const open = await createVm(options);
    open.vcpus[0]!.write(open.slot(0), 1);
    if (!options.dirtyRing) open.slot(0).getDirtyLog(); // the bitmap buffer
    const during = held();
    expect(during.fds).toBeGreaterThan(before.fds);
    expect(during.maps).toBeGreaterThan(before.maps);
    open.close();
    open.close(); // again: nothing more to do
    expect(held()).toEqual(before);
  });

  it('thirty VMs made and closed one after another leave nothing behind', async () => {
    await createVm(OPTIONS[0]).then((vm) => vm.close());
    const before = held();
    for (let i = 0; i < 30; i++) (await createVm(OPTIONS[i % 2])).close();
    expect(held()).toEqual(before);
  });
});
