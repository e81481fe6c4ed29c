import { describe, expect, it } from 'vitest';
import { VMGENID_SIZE, VmGenIdDevice } from '../../../src/vmstate/index.ts';

describe('16-byte ID reads (invariant 10)', () => {
  const oldId = new Uint8Array(VMGENID_SIZE).fill(0xaa);
  const newId = new Uint8Array(VMGENID_SIZE).fill(0xbb);

  it('unsafe: rewritten while a vCPU runs, a read between the stores sees half of each', () => {
    const device = new VmGenIdDevice(oldId);
    device.resume();
    const seen = device.unsafeWriteWhileRunning(newId, (d) => d.readId());
    expect(seen).not.toEqual(oldId);
    expect(seen).not.toEqual(newId);
  });

  it('written while stopped, the guest sees the old or the new ID, never a mix', () => {
    const device = new VmGenIdDevice(oldId, () => newId);
    device.applyEvent('clone');
    device.resume();
    expect(device.readId()).toEqual(newId);
  });
});
