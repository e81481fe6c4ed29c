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
    [{ guestPhysAddr: '4097', id: '00'.repeat(16), generation: 0 }, /8-byte aligned/],
    [{ guestPhysAddr: '4096', id: 'zz'.repeat(16), generation: 0 }, /32 lowercase hex digits/],
    [{ guestPhysAddr: '4096', id: '00'.repeat(16), generation: -1 }, /generation must be in/],
    [[], /must be an object/],
  ])('rejects %j and leaves the device unchanged', (input, message) => {
    const device = new VmGenIdDevice();
    const before = device.readId();
    expect(() => device.load(input)).toThrow(message);
    expect(device.readId()).toEqual(before);
  });
});
