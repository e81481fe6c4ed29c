import { describe, expect, it } from 'vitest';
import { VMGENID_NOTIFY, VmGenIdDevice } from '../../../src/vmstate/index.ts';

describe('VMGenID write ordering on restore (invariant 8)', () => {
  it('writes the ID before the first restored instruction and notifies after it', () => {
    const device = new VmGenIdDevice();
    device.applyEvent('backup-restore');
    device.resume();
    expect(device.log).toEqual([
      { kind: 'write-id' },
      { kind: 'bump-generation', generation: 1 },
      { kind: 'first-instruction' },
      { kind: 'notify', code: VMGENID_NOTIFY },
    ]);
  });

  it('refuses to change the ID under running vCPUs', () => {
    const device = new VmGenIdDevice();
    device.resume();
    const before = device.readId();
    expect(device.applyEvent('clone')).toMatchObject({ kind: 'refused', reason: (expect.stringContaining('stop the VM') as string) });
    expect(device.readId()).toEqual(before);
  });
});
