/**
 * A Memslot belongs to the VM that defined it. Passed to another VM's vCPU, ring or device
 * write, it would index that VM's arena with the wrong descriptor; it is refused with a
 * TypeError before anything is read or written.
 */
import { describe, expect, it } from 'vitest';
import { createVm } from '../src/index.ts';
import { engines } from './support/engines.ts';

describe.each(engines)('$engine engine', ({ engine }) => {
  it.each([
    ['vcpu.write', (a: Awaited<ReturnType<typeof createVm>>, s: ReturnType<typeof a.slot>) => a.vcpus[0]!.write(s, 512)],
    ['ring.push', (a: Awaited<ReturnType<typeof createVm>>, s: ReturnType<typeof a.slot>) => a.vcpus[0]!.ring!.push(s, 512)],
    ['vm.deviceWrite', (a: Awaited<ReturnType<typeof createVm>>, s: ReturnType<typeof a.slot>) => a.deviceWrite(s, 512)],
  ])('%s with another VM\'s slot: TypeError, and neither VM changes', async (_verb, call) => {
    const a = await createVm({ engine, arch: 'arm64', dirtyRing: { entries: 256 }, ringWithBitmap: true, slots: [{ pages: 1024 }], vcpus: 1 });
    const b = await createVm({ engine, arch: 'arm64', dirtyRing: { entries: 256 }, ringWithBitmap: true, slots: [{ pages: 1024 }, { pages: 1024 }], vcpus: 1 });
    const beforeA = new Uint8Array(a.arena.memory.buffer).slice();
    const beforeB = new Uint8Array(b.arena.memory.buffer).slice();
    expect(() => call(a, b.slot(1))).toThrow(TypeError);
    expect(() => call(a, b.slot(1))).toThrow(/slot 1 belongs to another VM: use this VM's vm\.slot\(1\)/);
    expect(() => call(a, b.slot(0))).toThrow(/belongs to another VM/);
    expect(Buffer.compare(new Uint8Array(a.arena.memory.buffer), beforeA)).toBe(0);
    expect(Buffer.compare(new Uint8Array(b.arena.memory.buffer), beforeB)).toBe(0);
    // A's own slot still works, and its resets are still accepted.
    expect(a.vcpus[0]!.write(a.slot(0), 512).kind).toBe('ring');
    a.vcpus[0]!.ring!.harvest();
    expect(a.resetDirtyRings()).toBe(1);
    expect(a.stats.rejectedBatches).toBe(0);
  });
});
