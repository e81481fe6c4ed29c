import { describe, expect, it } from 'vitest';
import { VmGenIdDevice } from '../../../src/vmstate/index.ts';

describe('incoming VMGenID state', () => {
  it('round-trips and loads into a stopped device', () => {
    const a = new VmGenIdDevice();
    a.applyEvent('clone');
    const b = new VmGenIdDevice();
    expect(b.load(JSON.parse(JSON.stringify(a.save(0x1000n))))).toEqual({ guestPhysAddr: 0x1000n });
    expect(b.readId()).toEqual(a.readId());
    expect(b.generation()).toBe(1);
  });

  it.each([
    [{ guestPhysAddr: '4097', id: '00'.repeat(16), generation: 0 }, RangeError, 'vmgenid state.guestPhysAddr must be 8-byte aligned, got 4097: the VMGenID spec requires it'],
    [{ guestPhysAddr: '4096', id: 'zz'.repeat(16), generation: 0 }, TypeError, `vmgenid state.id must be 32 lowercase hex digits (16 bytes), got "${'z'.repeat(32)}"`],
    [{ guestPhysAddr: '4096', id: '00'.repeat(16), generation: -1 }, RangeError, 'vmgenid state.generation must be between 0 and 4294967295, got -1'],
    [[], TypeError, 'vmgenid state must be an object, got an array'],
  ])('rejects %j and leaves the device unchanged', (input, type, message) => {
    const device = new VmGenIdDevice();
    const before = device.readId();
    expect(() => device.load(input)).toThrow(expect.objectContaining({ constructor: type, message }));
    expect(device.readId()).toEqual(before);
  });
});
